using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Attest.LogServer.Tests.Mail;

/// <summary>
/// The outbox: a mint never waits for or fails with the SMTP server, and what an acknowledged mint has to send is sent
/// after an SMTP outage and after a kill -9, once each; a mint that was refused sends nothing.
/// </summary>
public sealed class MailOutboxTests
{
    [Fact]
    public async Task a_mint_succeeds_while_the_smtp_server_is_down_and_its_mail_goes_once_it_is_up()
    {
        using var smtp = new ReservedPort(); // bound, not listening: connections are refused
        await using var server = await ServerProcess.Start(settings: SmtpSink.Settings(smtp.Port));
        var c = server.Client;
        var (issuerId, kid, key) = await MailTests.Issuer(c, "Patient University");
        var a = await MailTests.MintTo(c, issuerId, kid, key, "patient@example.org");
        string id = a.Str("id");
        string queued = (await MailTests.MintTo(c, issuerId, kid, key, "queued@example.org")).Str("id");

        var failing = await MailTests.Delivery(c, id, key, d => d.GetProperty("attempts").GetInt32() >= 2);
        Assert.Equal("pending", failing.Str("status"));
        Assert.Equal("connect_failed", failing.Str("last_error"));
        Assert.True(DateTimeOffset.TryParse(failing.Str("next_attempt_at"), out _), failing.ToString());
        // While the server is down only the first mail tries it; the one behind it waits its turn, untried.
        var waiting = (await c.Get($"v1/attestations/{queued}/delivery", key)).Body;
        Assert.Equal("pending", waiting.Str("status"));
        Assert.Equal(0, waiting.GetProperty("attempts").GetInt32());

        await using var sink = await SmtpSink.Start(smtp);
        var sent = await MailTests.Delivery(c, id, key, d => d.Str("status") == "sent");
        Assert.True(sent.GetProperty("attempts").GetInt32() >= 3, sent.ToString());
        Assert.Equal("sent", (await MailTests.Delivery(c, queued, key, d => d.Str("status") == "sent")).Str("status"));
        // Never tried while the SMTP server was down (a later retry, after a hiccup of the real sink under load, is no fault).
        Assert.Contains($"Mailing attestation {id} failed (connect_failed", server.Output);
        Assert.DoesNotContain($"Mailing attestation {queued} failed (connect_failed", server.Output);
        var mail = MailTests.MailOf(await sink.WaitFor(2), id);
        var (status, _) = await c.Get($"v1/attestations/{id}?holder_token={MailTests.HolderLink(mail).Token}", key: null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain("patient@example.org", server.Output);
    }

    [Fact]
    public async Task mails_pending_at_a_kill_9_are_sent_after_the_restart_once_each_and_refused_mints_send_nothing()
    {
        using var smtp = new ReservedPort();
        var settings = SmtpSink.Settings(smtp.Port);
        string dir = ServerProcess.NewDataDir();
        string retried, unattempted;
        await using (var server = await ServerProcess.Start(dir, settings))
        {
            var c = server.Client;
            var (issuerId, kid, key) = await MailTests.Issuer(c, "Crashing University");
            retried = (await MailTests.MintTo(c, issuerId, kid, key, "retried@example.org")).Str("id");
            await MailTests.Delivery(c, retried, key, d => d.GetProperty("attempts").GetInt32() >= 1);

            // Refused mints: nothing is appended, so nothing is ever mailed.
            var unknownKid = AttestApi.MintBody(issuerId, "no-such-key");
            unknownKid["recipient_email"] = "refused@example.org";
            Http.AssertError(await c.Post("v1/attestations/mint", unknownKid, key, Guid.NewGuid().ToString()), HttpStatusCode.NotFound, "not_found");
            var badClaims = AttestApi.MintBody(issuerId, kid, new System.Text.Json.Nodes.JsonObject { ["nonsense"] = "x" });
            badClaims["recipient_email"] = "refused@example.org";
            var (badStatus, _) = await c.Post("v1/attestations/mint", badClaims, key, Guid.NewGuid().ToString());
            Assert.Equal(HttpStatusCode.BadRequest, badStatus);

            // Killed right after the acknowledgement: the outbox entry exists only as the log's record.
            unattempted = (await MailTests.MintTo(c, issuerId, kid, key, "unattempted@example.org")).Str("id");
            server.Kill();
        }

        await using var sink = await SmtpSink.Start(smtp);
        await using (var restarted = await ServerProcess.Start(dir, settings))
        {
            var messages = await sink.WaitFor(2);
            Assert.Equal("retried@example.org", MailTests.MailOf(messages, retried).Headers["X-Envelope-To"]);
            Assert.Equal("unattempted@example.org", MailTests.MailOf(messages, unattempted).Headers["X-Envelope-To"]);
            await MailTests.Delivery(restarted.Client, unattempted, ServerProcess.AdminKey, d => d.Str("status") == "sent");
            await MailTests.Delivery(restarted.Client, retried, ServerProcess.AdminKey, d => d.Str("status") == "sent");
            // A later mint is mailed too, and nothing is sent twice.
            var (issuerId, kid, key) = await MailTests.Issuer(restarted.Client, "After the crash");
            string later = (await MailTests.MintTo(restarted.Client, issuerId, kid, key, "later@example.org")).Str("id");
            await MailTests.Delivery(restarted.Client, later, key, d => d.Str("status") == "sent");
            messages = sink.Messages();
            Assert.Equal(3, messages.Count);
            Assert.DoesNotContain(messages, m => m.Headers["X-Envelope-To"] == "refused@example.org");
        }

        // And a graceful restart sends nothing again.
        await using (var again = await ServerProcess.Start(dir, settings))
        {
            await again.Stop();
        }
        Assert.Equal(3, sink.Messages().Count);
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task a_recipient_the_smtp_server_refuses_fails_at_once_with_recipient_rejected()
    {
        await using var sink = await SmtpSink.Start(rejectRecipients: true);
        await using var server = await ServerProcess.Start(settings: SmtpSink.Settings(sink.Port));
        var (issuerId, kid, key) = await MailTests.Issuer(server.Client, "Bounced University");
        string id = (await MailTests.MintTo(server.Client, issuerId, kid, key, "nobody@example.org")).Str("id");
        var failed = await MailTests.Delivery(server.Client, id, key, d => d.Str("status") != "pending");
        Assert.Equal("failed", failed.Str("status"));
        Assert.Equal("recipient_rejected", failed.Str("last_error"));
        Assert.Equal(1, failed.GetProperty("attempts").GetInt32());
        Assert.Empty(sink.Messages());
        Assert.DoesNotContain("nobody@example.org", server.Output);
    }

    [Fact]
    public async Task a_grpc_mint_with_recipient_email_is_mailed_and_answers_no_holder_token()
    {
        await using var sink = await SmtpSink.Start();
        await using var server = await ServerProcess.Start(settings: SmtpSink.Settings(sink.Port));
        var (issuerId, kid, key) = await MailTests.Issuer(server.Client, "gRPC Mailing University");
        var mint = new Attest.V1.MintRequest { IssuerId = issuerId, Kid = kid, Alg = "Ed25519", Schema = "degree", Claims = new Struct(), RecipientEmail = "grpc@example.org" };
        foreach (var (name, value) in AttestApi.DegreeClaims("grpc"))
            mint.Claims.Fields[name] = Value.ForString(value!.GetValue<string>());
        var (status, message, reply) = await RawGrpc.CallAs(server, key, "/attest.v1.Attestations/Mint", mint, ("idempotency-key", Guid.NewGuid().ToString()));
        Assert.True(status == 0, message);
        var attestation = Attest.V1.Attestation.Parser.ParseFrom(reply);
        Assert.Equal("", attestation.HolderToken);
        var mail = MailTests.MailOf(await sink.WaitFor(1), attestation.Id);
        Assert.Equal("grpc@example.org", mail.Headers["X-Envelope-To"]);

        // The delivery status and the holder's inbox over gRPC: the same rules as REST.
        Attest.V1.Delivery delivery;
        do
        {
            var (deliveryStatus, deliveryMessage, deliveryReply) = await RawGrpc.CallAs(server, key, "/attest.v1.Attestations/GetDelivery", new Attest.V1.GetDeliveryRequest { Id = attestation.Id });
            Assert.True(deliveryStatus == 0, deliveryMessage);
            delivery = Attest.V1.Delivery.Parser.ParseFrom(deliveryReply);
        }
        while (delivery.Status == "pending");
        Assert.Equal("sent", delivery.Status);
        var (_, _, otherKey) = await MailTests.Issuer(server.Client, "gRPC Other College");
        var (denied, _, _) = await RawGrpc.CallAs(server, otherKey, "/attest.v1.Attestations/GetDelivery", new Attest.V1.GetDeliveryRequest { Id = attestation.Id });
        Assert.Equal(7, denied); // PERMISSION_DENIED
        string inbox = MailTests.InboxToken(mail);
        var (listStatus, listMessage, listReply) = await RawGrpc.CallAs(server, null, "/attest.v1.Attestations/ListHolderAttestations", new Attest.V1.ListHolderAttestationsRequest(), ("x-holder-token", inbox));
        Assert.True(listStatus == 0, listMessage);
        var listed = Attest.V1.ListHolderAttestationsResponse.Parser.ParseFrom(listReply);
        Assert.Equal(attestation.Id, listed.Attestations.Single().Id);
        Assert.Equal(MailTests.HolderLink(mail).Token, listed.Attestations.Single().HolderToken);
        var (forged, _, _) = await RawGrpc.CallAs(server, null, "/attest.v1.Attestations/ListHolderAttestations", new Attest.V1.ListHolderAttestationsRequest(), ("x-holder-token", MailTests.HolderLink(mail).Token));
        Assert.Equal(7, forged);

        mint.RecipientEmail = "not an address";
        var (badStatus, badMessage, _) = await RawGrpc.CallAs(server, key, "/attest.v1.Attestations/Mint", mint, ("idempotency-key", Guid.NewGuid().ToString()));
        Assert.Equal(3, badStatus); // INVALID_ARGUMENT
        Assert.Contains("invalid_email", badMessage);
    }

    [Theory]
    [InlineData("no public url", "Attest:PublicUrl")]
    [InlineData("a password in the clear", "in the clear")]
    [InlineData("an unknown tls mode", "Attest:Mail:Tls")]
    [InlineData("no sender", "Attest:Mail:From")]
    public async Task a_server_with_a_mail_setting_it_cannot_use_refuses_to_start_naming_it(string mistake, string named)
    {
        var settings = SmtpSink.Settings(25);
        switch (mistake)
        {
            case "no public url": settings.Remove("Attest__PublicUrl"); break;
            case "a password in the clear": (settings["Attest__Mail__Host"], settings["Attest__Mail__Username"], settings["Attest__Mail__Password"]) = ("smtp.example.org", "user", "hunter2-secret"); break;
            case "an unknown tls mode": settings["Attest__Mail__Tls"] = "maybe"; break;
            case "no sender": settings.Remove("Attest__Mail__From"); break;
        }
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.Start(settings: settings));
        Assert.Contains("exited with 2", e.Message);
        Assert.Contains(named, e.Message);
        Assert.DoesNotContain("hunter2-secret", e.Message);
    }
}
