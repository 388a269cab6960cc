using Google.Protobuf.WellKnownTypes;

namespace Attest.LogServer.Tests.Grpc;

/// <summary>
/// A refused gRPC call is the caller's failure, not the server's: like a refused REST request it writes no log line,
/// so the text it carries (a schema name, a kid, with newlines or terminal escapes in it) cannot forge lines in the
/// operator's log or flood it.
/// </summary>
public sealed class GrpcRefusalLoggingTests
{
    [Fact]
    public async Task a_refused_grpc_call_puts_none_of_its_text_in_the_server_log_at_the_default_levels()
    {
        // The levels of the shipped appsettings.json.
        await using var server = await ServerProcess.Start(settings: new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Information", ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        });
        try
        {
            string issuerId = await server.Client.CreateIssuer();
            var (status, message, _) = await RawGrpc.CallAs(server, ServerProcess.AdminKey, "/attest.v1.Attestations/Mint",
                new V1.MintRequest { IssuerId = issuerId, Kid = "k", Alg = "Ed25519", Schema = "degree\ninfo: FORGED-LINE\u001b[2J", Claims = new Struct() },
                ("idempotency-key", Guid.NewGuid().ToString()));
            Assert.Equal(3, status); // INVALID_ARGUMENT
            Assert.Contains("FORGED-LINE", message);
            await server.Stop(); // all its output read

            Assert.DoesNotContain("FORGED-LINE", server.Output);
            Assert.DoesNotContain('\u001b', server.Output);
        }
        finally
        {
            Directory.Delete(server.DataDir, recursive: true);
        }
    }
}
