using System.Net;
using System.Net.Sockets;

namespace Attest.Tests.Shared;

/// <summary>
/// A loopback port bound but not listening: connections to it are refused, and no other process can take it while
/// this holds it. For an address that must be known before anything serves it (a peer that is down, or starts later);
/// a server of ours binds port 0 and reports its address instead.
/// </summary>
public sealed class ReservedPort : IDisposable
{
    private readonly Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public ReservedPort()
    {
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Lets the port go, just before the peer that was waiting for it binds it.</summary>
    public void Dispose() => socket.Dispose();
}
