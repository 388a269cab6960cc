using System.CommandLine;
using System.Text;
using Attest.Merkle;

namespace Attest.Cli;

/// <summary><c>attest keys generate</c>: a log's Ed25519 note key, in the text forms of Go's golang.org/x/mod/sumdb/note.</summary>
public static class KeysCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "the key name: the log's origin line, e.g. example.com/log", Required = true };
        var outDir = new Option<string?>("--out-dir")
        {
            Description = "write <name>.key (private, mode 0600) and <name>.vkey there, never overwriting; without it both are printed to stdout",
        };
        var generate = new Command("generate",
            "Generate a log signing key: the private key in Go's PRIVATE+KEY+<name>+<id>+<base64> form (for Attest:Log:PrivateKey) " +
            "and its verifier key <name>+<id>+<base64> (for attest verify/monitor --log-key). Key ID and encodings per c2sp.org/signed-note.")
        {
            name, outDir,
        };
        generate.SetAction((parse, _) => Common.Run(() => Task.FromResult(Generate(parse.GetValue(name)!, parse.GetValue(outDir)))));
        return new Command("keys", "Log signing keys.") { generate };
    }

    private static int Generate(string name, string? outDir)
    {
        string privateKey, verifierKey;
        try
        {
            (privateKey, verifierKey) = NoteSigner.Generate(name);
        }
        catch (ArgumentException)
        {
            throw new UsageException($"--name \"{name}\" is not a key name: non-empty, without '+', spaces or control characters");
        }
        if (outDir is null)
        {
            // This command exists to hand out the key: stdout is where it goes when no directory is given.
            Console.WriteLine(privateKey);
            Console.WriteLine(verifierKey);
            return ExitCodes.Ok;
        }

        if (!Directory.Exists(outDir)) throw new UsageException($"--out-dir {outDir}: no such directory");
        string stem = FileStem(name);
        string keyPath = Path.Combine(outDir, stem + ".key"), vkeyPath = Path.Combine(outDir, stem + ".vkey");
        foreach (var p in new[] { keyPath, vkeyPath })
        {
            if (File.Exists(p)) throw new UsageException($"{p} exists; not overwriting a key");
        }
        try
        {
            Write(keyPath, privateKey, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Write(vkeyPath, verifierKey, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        catch (IOException e)
        {
            throw new UsageException($"cannot write the key files: {e.Message}");
        }
        Console.WriteLine($"private key: {keyPath} (mode 0600; keep it secret)");
        Console.WriteLine($"verifier key: {vkeyPath}");
        Console.WriteLine(verifierKey);
        return ExitCodes.Ok;
    }

    // Origins look like "example.com/log": the file name keeps what is safe and replaces the rest.
    private static string FileStem(string name)
    {
        var stem = new StringBuilder();
        foreach (char c in name) stem.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        return stem.ToString().TrimStart('.') is { Length: > 0 } s ? s : "log";
    }

    // CreateNew: never replaces a file, and the private key never exists with a wider mode than asked.
    private static void Write(string path, string line, UnixFileMode mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.UTF8.GetBytes(line + "\n"));
        stream.Flush(flushToDisk: true);
    }
}
