"""A real SMTP server for the mail tests: Debian's python3-aiosmtpd on 127.0.0.1:<port>, writing each message it
accepts to <folder>/<n>.eml (renamed into place whole), with the envelope recipients in an X-Envelope-To line first.

Usage: /usr/bin/python3 sink.py <port> <folder> [--reject-rcpt]   (runs until its standard input closes)
--reject-rcpt refuses every recipient with 550, as a server does for a mailbox that does not exist.
"""
import os
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder, reject):
        self.folder = folder
        self.reject = reject
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.folder, "%06d.eml" % self.count)
        with open(path + ".tmp", "wb") as f:
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 OK"


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(folder, "--reject-rcpt" in sys.argv[3:]), hostname="127.0.0.1", port=port)
    controller.start()
    print("listening", flush=True)
    sys.stdin.read()
    controller.stop()


main()
