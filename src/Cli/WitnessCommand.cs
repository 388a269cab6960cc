using System.CommandLine;
using Attest.Merkle;
using Attest.Witness;
using Microsoft.Extensions.Hosting;

namespace Attest.Cli;

/// <summary>
/// <c>attest witness</c>: run a C2SP tlog-witness (c2sp.org/tlog-witness) for one or more logs, and make its key.
/// The witness itself is <see cref="WitnessApp"/>; this only turns flags into its configuration.
/// </summary>
public static class WitnessCommand
{
    public static Command Create()
    {
        var keyFile = new Option<string>("--key-file")
        {
            Description = "a file holding the witness's private key (PRIVATE+KEY+<name>+…, from `attest witness generate-key`); its name is the witness's name",
            Required = true,
        };
        var logs = new Option<string[]>("--log")
        {
            Description = "a witnessed log's verifier key (name+hex8+base64), or a file holding one; the log's origin is the key's name. Repeatable",
            Required = true, AllowMultipleArgumentsPerToken = false,
        };
        var stateDir = new Option<string>("--state-dir") { Description = "where the latest cosigned checkpoint of each log is kept (durably)", Required = true };
        var listen = new Option<string>("--listen") { Description = "the URL to serve POST /add-checkpoint on", DefaultValueFactory = _ => "http://127.0.0.1:7380" };
        var serve = new Command("serve", "Serve POST /add-checkpoint (c2sp.org/tlog-witness): check each checkpoint's signature and its consistency with the last one cosigned, persist it, and return a tlog-cosignature/v1 line.")
        {
            keyFile, logs, stateDir, listen,
        };
        serve.SetAction((parse, token) => Common.Run(async () =>
        {
            var config = new WitnessConfig { PrivateKey = ReadKey(parse.GetValue(keyFile)!), StateDir = parse.GetValue(stateDir)! };
            foreach (string log in parse.GetValue(logs)!)
            {
                var key = Common.LogKey(log, "--log");
                config.Logs.Add(new WitnessedLog { Origin = key.Name, VerifierKey = key.ToString() });
            }
            Microsoft.AspNetCore.Builder.WebApplication app;
            try
            {
                app = WitnessApp.Build(config, [parse.GetValue(listen)!]);
            }
            catch (WitnessConfigException e)
            {
                throw new UsageException(e.Message);
            }
            await using (app)
            {
                try
                {
                    await app.StartAsync(token);
                    // With port 0 in --listen, this is how a caller learns the port the system chose.
                    Console.Out.WriteLine("attest witness: listening " + string.Join(',', app.Urls));
                    await app.WaitForShutdownAsync(token);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    // Ctrl+C or SIGTERM: a normal stop for a server; every answered request was persisted before its 200.
                }
            }
            return ExitCodes.Ok;
        }));

        var name = new Option<string>("--name") { Description = "the witness's name, e.g. witness.example.com", Required = true };
        var generate = new Command("generate-key", "Generate a witness key: the private key (PRIVATE+KEY form, for --key-file) and its tlog-cosignature verifier key (type 0x04, for Attest:Witnesses:N:VerifierKey).")
        {
            name,
        };
        generate.SetAction((parse, _) => Common.Run(() =>
        {
            string n = parse.GetValue(name)!;
            (string privateKey, string verifierKey) keys;
            try
            {
                keys = CosignatureSigner.Generate(n);
            }
            catch (ArgumentException)
            {
                throw new UsageException($"--name \"{n}\" is not a key name: non-empty, without '+', spaces or control characters");
            }
            // This command exists to hand out the key: stdout is where it goes.
            Console.WriteLine(keys.privateKey);
            Console.WriteLine(keys.verifierKey);
            return Task.FromResult(ExitCodes.Ok);
        }));
        return new Command("witness", "A C2SP witness that cosigns the checkpoints of the logs it follows.") { serve, generate };
    }

    private static string ReadKey(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"--key-file {path}: no such file");
        if (new FileInfo(path).Length > 4096) throw new UsageException($"--key-file {path} is too large to be a key");
        return File.ReadAllText(path).Trim();
    }
}
