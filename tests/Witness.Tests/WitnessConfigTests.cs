using System.Net;
using System.Text;
using Attest.Merkle;

namespace Attest.Witness.Tests;

public sealed class WitnessConfigTests : IDisposable
{
    private readonly string stateDir = Directory.CreateTempSubdirectory("attest-witness-").FullName;
    private readonly TestLog log = new();

    public void Dispose()
    {
        log.Dispose();
        Directory.Delete(stateDir, recursive: true);
    }

    private WitnessConfig Config(Action<WitnessConfig>? change = null)
    {
        var config = new WitnessConfig
        {
            PrivateKey = CosignatureSigner.Generate("witness.test/config").PrivateKey,
            StateDir = stateDir,
            Logs = [new WitnessedLog { Origin = log.Origin, VerifierKey = log.VerifierKey }],
        };
        change?.Invoke(config);
        return config;
    }

    [Theory]
    [InlineData("key", "PrivateKey")]
    [InlineData("vkey-as-key", "PrivateKey")]
    [InlineData("name", "Name")]
    [InlineData("no-logs", "Logs")]
    [InlineData("origin", "Logs[0].Origin")]
    [InlineData("log-key", "Logs[0]")]
    [InlineData("no-log-key", "Logs[0]")]
    [InlineData("twice", "Logs[1].Origin")]
    public void a_wrong_setting_stops_the_witness_naming_the_setting_and_not_the_key(string wrong, string setting)
    {
        var config = Config(c =>
        {
            switch (wrong)
            {
                case "key": c.PrivateKey = c.PrivateKey[..^2] + "xx"; break;
                case "vkey-as-key": c.PrivateKey = CosignatureSigner.Generate("w").VerifierKey; break;
                case "name": c.Name = "witness.test/other"; break;
                case "no-logs": c.Logs = []; break;
                case "origin": c.Logs[0].Origin = "bad\norigin"; break;
                case "log-key": c.Logs[0].VerifierKey = CosignatureSigner.Generate("w").VerifierKey; break; // a 0x04 key is no log key
                case "no-log-key": c.Logs[0].VerifierKey = null; break;
                case "twice": c.Logs.Add(new WitnessedLog { Origin = log.Origin, VerifierKey = log.VerifierKey }); break;
            }
        });
        var e = Assert.Throws<WitnessConfigException>(() => WitnessApp.Build(config, ["http://127.0.0.1:0"]));
        Assert.StartsWith(setting, e.Message);
        Assert.DoesNotContain(config.PrivateKey, e.Message);
    }

    [Fact]
    public async Task a_damaged_state_file_stops_the_witness_instead_of_starting_over_at_size_zero()
    {
        await using (var witness = await WitnessHost.Start(Config()))
            Assert.Equal(HttpStatusCode.OK, (await witness.Post(log.Request(0, 9))).Status);
        var file = Assert.Single(Directory.GetFiles(stateDir, "*.checkpoint"));
        File.WriteAllText(file, "garbage");
        var e = Assert.Throws<InvalidDataException>(() => WitnessApp.Build(Config(), ["http://127.0.0.1:0"]));
        Assert.Contains(file, e.Message);
    }

    [Fact]
    public async Task checkpoints_of_a_log_written_by_another_implementation_are_cosigned_one_after_another()
    {
        // tests/testdata/tessera-log: 16 checkpoints signed by transparency-dev/tessera's test key, and the entries.
        string dir = TestDataPath("tessera-log");
        var entries = "one two three four five six seven eit nain ten ileven twelf threeten fourten fivten".Split(' ');
        var hashes = new MemoryHashStore();
        foreach (var e in entries) hashes.Append(Encoding.ASCII.GetBytes(e));
        var config = Config(c => c.Logs = [new WitnessedLog { Origin = "example.com/log/testdata", VerifierKey = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx" }]);
        await using var witness = await WitnessHost.Start(config);
        Assert.True(CosignatureVerifier.TryParse(witness.VerifierKey, out var cosigner));
        long old = 0;
        foreach (int size in new[] { 0, 1, 2, 3, 7, 8, 15 })
        {
            var note = File.ReadAllText(Path.Combine(dir, $"checkpoint.{size}"));
            var proof = old == 0 || old == size ? [] : ConsistencyProof.Prove(old, size, hashes);
            var answer = await witness.Post(AddCheckpoint.Format(old, proof, note));
            Assert.True(answer.Status == HttpStatusCode.OK, $"size {size}: {answer}");
            Note.Open(Encoding.UTF8.GetBytes(note + answer.Body), [cosigner!]);
            old = size;
        }
    }

    private static string TestDataPath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "testdata", name);
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/testdata/" + name);
    }
}
