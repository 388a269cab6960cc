using System.Net;
using Grpc.Health.V1;

namespace Attest.LogServer.Tests.Storage;

/// <summary>
/// A real storage failure (the entry log's commit gets ENOSPC on a full tmpfs) stops writes, visibly: /readyz
/// answers 503 with the reason, and gRPC health says NOT_SERVING, to Check and to a Watch opened before.
/// </summary>
public sealed class StorageFaultTests
{
    [Fact]
    public async Task a_commit_that_fails_on_a_full_disk_makes_readyz_503_and_grpc_health_not_serving()
    {
        using var disk = Tmpfs.Mount("size=32m", "attest-fault-");
        // The disk-full threshold is off: this test wants the write itself to fail.
        await using var server = await ServerProcess.Start(disk.File("data"), new Dictionary<string, string> { ["Attest__Storage__MinFreeBytes"] = "0" });
        var client = server.Client;
        await client.Stamp("before the disk fills");
        await client.CheckpointCovering(1);
        var (watchClient, watchResponse, watch) = await RawGrpc.Open(server, "/grpc.health.v1.Health/Watch", new HealthCheckRequest());
        using (watchClient)
        using (watchResponse)
        {
            using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // only against a hang
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, HealthCheckResponse.Parser.ParseFrom(await RawGrpc.ReadMessage(watch, guard.Token)).Status);

            disk.Fill("filler");
            // A public stamp of 90 KB needs new blocks for the entry log's page: its commit fails.
            var (status, body) = await client.Post("v1/stamps", new { content = new string('z', 90_000), visibility = "public" });
            Http.AssertError((status, body), HttpStatusCode.ServiceUnavailable, "unavailable");
            Http.AssertError(await client.Post("v1/stamps", new { content = "after" }), HttpStatusCode.ServiceUnavailable, "unavailable");

            var (ready, readiness) = await client.Get("readyz", key: null);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready);
            Assert.Equal("unavailable", readiness.Str("status"));
            Assert.Equal("storage_failure", readiness.Str("reason"));
            string reason = readiness.Str("message");
            Assert.Contains("storage failed", reason);
            Assert.DoesNotContain(disk.Path, reason);
            Assert.DoesNotContain(" at ", reason);
            Assert.Equal(1, readiness.GetProperty("tree_size").GetInt64());

            foreach (var service in new[] { "", "attest.v1.Attestations", "attest.v1.Stamps", "attest.v1.Issuers", "attest.v1.Log" })
            {
                var (grpcStatus, message, reply) = await RawGrpc.CallWithReply(server, "/grpc.health.v1.Health/Check", new HealthCheckRequest { Service = service });
                Assert.True(grpcStatus == 0, message);
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, HealthCheckResponse.Parser.ParseFrom(reply).Status);
            }
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, HealthCheckResponse.Parser.ParseFrom(await RawGrpc.ReadMessage(watch, guard.Token)).Status);
        }
    }
}
