using System.Globalization;

namespace Attest.Load;

/// <summary>The command line. Unknown or malformed arguments end the program with the usage text.</summary>
public sealed record Options
{
    public const string Usage = """
        usage: Attest.Load --scenario <mint-grpc|mint-rest|stamp-grpc|stamp-rest|proof-rest|checkpoint-grpc|scitt-register-rest|scitt-receipt-rest> [options]

          --start-server        run the Attest.LogServer.dll built beside this tool on loopback, with a fresh data
                                directory, and stop it at the end
          --server-dll <path>   with --start-server: this Attest.LogServer.dll instead (e.g. a ReadyToRun publish)
          --server-env <k=v>    with --start-server: an environment variable for the server only (repeatable),
                                e.g. DOTNET_TieredPGO=0
          --warm-client <t>     with --start-server: first run the scenario for t against a server that is then stopped,
                                so that the measured server's first seconds are not the tool's own JIT compilation
                                (for a start-up timeline: --warm-client 10s --warmup 0s --json, its "timeline")
          --url <url>           REST endpoint of a running server (default http://127.0.0.1:5000)
          --grpc-url <url>      gRPC endpoint of a running server (default http://127.0.0.1:5001)
          --admin-key <key>     admin API key of a running server (exempt from rate limits)
          --clients <n>         concurrent requests (default 64)
          --connections <n>     HTTP/2 connections for gRPC (default 2); REST uses one HTTP/1.1 connection per client
          --grpc-client <c>     lean (default): the tool's own HTTP/2 client; httpclient: gRPC framed by hand over .NET's
                                HttpClient; grpc-net: the standard client, Grpc.Net.Client. The last two take more of
                                the machine's CPU from the server they measure
          --duration <t>        measured time, e.g. 30s, 2m (default 30s)
          --warmup <t>          unmeasured load before it (default 10s: a fresh server is still JIT-compiling after 5 s;
                                under an open loop of 10,000 mints/s it still is 40 s after start, so use 60s there)
          --rate <r>            open loop: send r requests a second, evenly spaced, each at its instant from one
                                thread, and time each from that instant; --clients bounds how many are in flight
                                (a request due while all are busy waits, and the report says how long). In the
                                warm-up, a request that cannot go on time is dropped rather than sent late
          --prefill <n>         proof-rest, scitt-receipt-rest: first stamp the log up to n entries (default 100000)
          --statements <n>      scitt-register-rest: ES256 Signed Statements signed before the run, one per
                                registration (default 10000 per second of warm-up and run); a run that uses them
                                all counts the rest as errors
          --no-limits           skip measuring SHA-256, Ed25519 and FasterLog limits
          --slow <ms>           also print, to stderr, when the requests slower than this were due (wall-clock UTC,
                                in spells: a stall's start, length and worst request), to line them up with the
                                server's own events (a GC trace, its log)
          --json <file>         also write the results as JSON
        """;

    public required string Scenario { get; init; }
    public bool StartServer { get; init; }
    public string? ServerDll { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> ServerEnvironment { get; init; } = [];
    public TimeSpan? WarmClient { get; init; }
    public Uri Url { get; init; } = new("http://127.0.0.1:5000");
    public Uri GrpcUrl { get; init; } = new("http://127.0.0.1:5001");
    public string? AdminKey { get; init; }
    public int Clients { get; init; } = 64;
    public int Connections { get; init; } = 2;
    public string GrpcClient { get; init; } = "lean";
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(10);
    public double? Rate { get; init; }
    public long Prefill { get; init; } = 100_000;
    public int? Statements { get; init; }

    /// <summary>Statements for a run of <paramref name="length"/>: enough for 10,000 registrations a second, twice what two cores register.</summary>
    public int StatementsFor(TimeSpan length) => Statements ?? (int)Math.Min(int.MaxValue, Math.Ceiling(length.TotalSeconds) * 10_000);
    public bool Limits { get; init; } = true;
    public string? Json { get; init; }
    public double? SlowMs { get; init; }

    public static readonly string[] Scenarios = ["mint-grpc", "mint-rest", "stamp-grpc", "stamp-rest", "proof-rest", "checkpoint-grpc", "scitt-register-rest", "scitt-receipt-rest"];

    /// <summary>Null (after printing why) when the arguments are not usable.</summary>
    public static Options? Parse(string[] args)
    {
        var o = new Options { Scenario = "" };
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                o = args[i] switch
                {
                    "--scenario" => o with { Scenario = Next() },
                    "--start-server" => o with { StartServer = true },
                    "--server-dll" => o with { ServerDll = Path.GetFullPath(Next()) },
                    "--server-env" => o with { ServerEnvironment = [.. o.ServerEnvironment, Variable(Next())] },
                    "--warm-client" => o with { WarmClient = Time(Next()) },
                    "--url" => o with { Url = new Uri(Next()) },
                    "--grpc-url" => o with { GrpcUrl = new Uri(Next()) },
                    "--admin-key" => o with { AdminKey = Next() },
                    "--clients" => o with { Clients = Positive(Next(), "--clients") },
                    "--connections" => o with { Connections = Positive(Next(), "--connections") },
                    "--grpc-client" => o with { GrpcClient = Next() is var c && c is "lean" or "httpclient" or "grpc-net" ? c : throw new FormatException("--grpc-client is lean, httpclient or grpc-net") },
                    "--duration" => o with { Duration = Time(Next()) },
                    "--warmup" => o with { Warmup = Time(Next()) },
                    "--rate" => o with { Rate = Positive(Next(), "--rate") },
                    "--prefill" => o with { Prefill = Positive(Next(), "--prefill") },
                    "--statements" => o with { Statements = Positive(Next(), "--statements") },
                    "--limits" => o with { Limits = true },
                    "--no-limits" => o with { Limits = false },
                    "--json" => o with { Json = Next() },
                    "--slow" => o with { SlowMs = Positive(Next(), "--slow") },
                    "-h" or "--help" => throw new FormatException(""),
                    _ => throw new FormatException($"unknown argument {args[i]}"),
                };
            }
            if (!Scenarios.Contains(o.Scenario)) throw new FormatException($"--scenario must be one of {string.Join(", ", Scenarios)}");
            if (!o.StartServer && (o.ServerDll is not null || o.ServerEnvironment.Count > 0 || o.WarmClient is not null))
                throw new FormatException("--server-dll, --server-env and --warm-client need --start-server");
            if (!o.StartServer && o.AdminKey is null) throw new FormatException("--admin-key is needed unless --start-server");
            if (o.Duration <= TimeSpan.Zero) throw new FormatException("--duration must be positive");
            return o;
        }
        catch (Exception e) when (e is FormatException or UriFormatException)
        {
            if (e.Message.Length > 0) Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return null;
        }
    }

    private static KeyValuePair<string, string> Variable(string s) =>
        s.IndexOf('=') is > 0 and var eq ? new(s[..eq], s[(eq + 1)..]) : throw new FormatException("--server-env takes NAME=value");

    private static int Positive(string s, string name) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new FormatException($"{name} takes a positive integer");

    /// <summary>"30s", "2m", "500ms", or a number of seconds.</summary>
    private static TimeSpan Time(string s)
    {
        var (number, scale) = s.EndsWith("ms") ? (s[..^2], 0.001) : s.EndsWith('s') ? (s[..^1], 1.0) : s.EndsWith('m') ? (s[..^1], 60.0) : (s, 1.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0
            ? TimeSpan.FromSeconds(v * scale) : throw new FormatException($"bad time \"{s}\" (use 30s, 2m, 500ms)");
    }
}
