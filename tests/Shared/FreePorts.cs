using System.Net;
using System.Net.Sockets;

namespace Attest.Tests.Shared;

/// <summary>Loopback ports nobody listens on at the moment of the call (shared with the bench projects, which link this file).</summary>
internal static class FreePorts
{
    public static int One()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Two ports free at once: two calls of <see cref="One"/> can get the same port back.</summary>
    public static (int, int) Two()
    {
        using var a = new TcpListener(IPAddress.Loopback, 0);
        using var b = new TcpListener(IPAddress.Loopback, 0);
        a.Start();
        b.Start();
        return (((IPEndPoint)a.LocalEndpoint).Port, ((IPEndPoint)b.LocalEndpoint).Port);
    }
}
