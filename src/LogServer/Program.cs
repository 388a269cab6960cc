using Attest.LogServer.Hosting;
using Attest.LogServer.Storage;

// The server's start, one step a line; what each step registers, uses or maps is in Hosting/AttestServer.cs.
var builder = AttestServer.CreateBuilder(args);
if (!AttestSettings.TryRead(builder.Configuration, out var settings, out var problem))
{
    Console.Error.WriteLine(problem);
    return 2;
}
DataDirectory.Prepare(settings.Options.DataDir); // umask 077 first: nothing below may create a readable file
builder.AddAttest(settings);
var app = builder.Build();
app.UseAttest();
app.MapAttest(settings);
app.Run();
return 0;

public partial class Program;
