using System.CommandLine;
using Attest.Cli;

var root = new RootCommand(
    "attest: the client of an Attest transparency log. Verify proof bundles offline, monitor a log (C2SP tlog-tiles), " +
    "generate log keys, run a witness (C2SP tlog-witness), mint, stamp and fetch for scripts, and sign, register and verify SCITT statements.\n\n" +
    "Exit codes: 0 everything checked out; 1 a check failed, the log is inconsistent, or the server refused; " +
    "2 unusable input (arguments, files, keys); 3 the server or node could not be reached; " +
    "130 or 143 stopped by Ctrl-C or SIGTERM (a polling monitor keeps the state of every round it finished).")
{
    VerifyCommand.Create(),
    MonitorCommand.Create(),
    KeysCommand.Create(),
    WitnessCommand.Create(),
    ClientCommands.Mint(),
    ClientCommands.Stamp(),
    ClientCommands.Bundle(),
    ClientCommands.Check(),
    ClientCommands.Reveal(),
    StampProofCommand.Create(),
    Attest.Cli.Scitt.ScittCommand.Create(),
};

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine("error: " + error.Message);
    var path = new List<string>();
    for (var r = parsed.CommandResult; r is not null && r.Command != root; r = r.Parent as System.CommandLine.Parsing.CommandResult) path.Insert(0, r.Command.Name);
    Console.Error.WriteLine($"see: {string.Join(' ', ["attest", .. path, "--help"])}");
    return ExitCodes.Usage;
}
return await parsed.InvokeAsync();
