namespace Attest.Tests.Shared;

/// <summary>
/// The server's report of the addresses it bound, one line on stdout once it listens (src/LogServer/Grpc/GrpcHosting.cs):
/// <c>attest: listening rest=http://127.0.0.1:41234 grpc=http://127.0.0.1:41235</c>, each a comma-separated list.
/// </summary>
public static class Listening
{
    public const string Prefix = "attest: listening ";

    /// <summary>The first REST and the first gRPC address of a report line.</summary>
    public static bool TryParse(string line, out Uri rest, out Uri grpc)
    {
        rest = grpc = null!;
        if (!line.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var fields = line[Prefix.Length..].Split(' ').Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1].Split(','));
        return fields.TryGetValue("rest", out var r) && fields.TryGetValue("grpc", out var g)
            && Uri.TryCreate(r[0], UriKind.Absolute, out rest!) && Uri.TryCreate(g[0], UriKind.Absolute, out grpc!);
    }
}
