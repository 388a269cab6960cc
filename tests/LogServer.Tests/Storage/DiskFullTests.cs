using System.Net;

namespace Attest.LogServer.Tests.Storage;

/// <summary>
/// A nearly full disk, on a real size-limited filesystem (a tmpfs mounted for the test, so it needs root): writes
/// are refused before the disk fills, reads go on, writes resume by themselves, and nothing acknowledged is lost.
/// </summary>
public sealed class DiskFullTests
{
    private const long MinFree = 32L << 20;

    [Fact]
    public async Task below_the_free_space_threshold_writes_get_507_reads_go_on_and_writes_resume_when_space_returns()
    {
        using var disk = Tmpfs.Mount("size=256m", "attest-small-disk-");
        ServerProcess? server = null;
        try
        {
            string dir = disk.File("data");
            var settings = new Dictionary<string, string>
            {
                ["Attest__Storage__MinFreeBytes"] = MinFree.ToString(),
                ["Attest__Log__IndexCheckpointInterval"] = "01:00:00",
            };
            server = await ServerProcess.Start(dir, settings);
            var c = server.Client;
            string issuerId = await c.CreateIssuer();
            string kid = (await c.CreateKey(issuerId)).Str("kid");
            var acknowledged = new List<string>();
            for (int i = 0; i < 5; i++) acknowledged.Add((await c.Stamp($"before the disk filled {i}")).Str("id"));
            var minted = await c.Mint(AttestApi.MintBody(issuerId, kid));

            // Fill the disk until less than the threshold is free (half of it).
            string filler = disk.FillLeaving("filler", MinFree / 2);
            Assert.True(disk.AvailableFreeSpace < MinFree);

            // Writes are refused (the free-space reading is cached briefly, so allow it a moment to notice).
            (HttpStatusCode Status, System.Text.Json.JsonElement Body) refused = default;
            for (int i = 0; i < 50; i++)
            {
                refused = await c.Post("v1/stamps", new { content = $"while full {i}" });
                if (refused.Status != HttpStatusCode.Created) break;
                acknowledged.Add(refused.Body.Str("id"));
                await Task.Delay(100);
            }
            Http.AssertError(refused, HttpStatusCode.InsufficientStorage, "insufficient_storage");
            string refusedKey = Guid.NewGuid().ToString();
            Http.AssertError(await c.Post("v1/attestations/mint", AttestApi.MintBody(issuerId, kid), idempotencyKey: refusedKey),
                HttpStatusCode.InsufficientStorage, "insufficient_storage");
            var withPayload = AttestApi.MintBody(issuerId, kid);
            withPayload["payload"] = AttestApi.B64Url(new byte[64 * 1024]);
            Http.AssertError(await c.Post("v1/attestations/mint", withPayload, idempotencyKey: Guid.NewGuid().ToString()),
                HttpStatusCode.InsufficientStorage, "insufficient_storage");
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir, "blobs")));
            var (grpcStatus, grpcMessage) = await RawGrpc.Call(server, "/attest.v1.Issuers/CreateIssuer", new Attest.V1.CreateIssuerRequest { Name = "while full" });
            Assert.True(grpcStatus == 8 && grpcMessage?.StartsWith("insufficient_storage") == true, $"gRPC answered {grpcStatus} {grpcMessage}"); // RESOURCE_EXHAUSTED

            // Reads go on.
            Assert.Equal(HttpStatusCode.OK, (await c.Get($"v1/stamps/{acknowledged[0]}")).Status);
            Assert.Equal(HttpStatusCode.OK, (await c.Get($"v1/attestations/{minted.Str("id")}")).Status);
            Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("checkpoint")).StatusCode);

            // Space returns: writes resume without a restart.
            File.Delete(filler);
            (HttpStatusCode Status, System.Text.Json.JsonElement Body) resumed = default;
            for (int i = 0; i < 50; i++)
            {
                resumed = await c.Post("v1/stamps", new { content = $"after the disk emptied {i}" });
                if (resumed.Status == HttpStatusCode.Created) break;
                await Task.Delay(100);
            }
            Assert.True(resumed.Status == HttpStatusCode.Created, resumed.Body.GetRawText());
            acknowledged.Add(resumed.Body.Str("id"));
            acknowledged.Add((await c.Mint(AttestApi.MintBody(issuerId, kid), idempotencyKey: refusedKey)).Str("id")); // the refusal kept nothing

            // Nothing acknowledged is lost, even by a SIGKILL.
            server.Kill();
            await server.DisposeAsync();
            server = null;
            server = await ServerProcess.Start(dir, settings);
            foreach (var id in acknowledged)
            {
                var (status, body) = await server.Client.Get(id == acknowledged[^1] ? $"v1/attestations/{id}" : $"v1/stamps/{id}");
                Assert.True(status == HttpStatusCode.OK, $"{id} lost: {body.GetRawText()}");
            }
        }
        finally
        {
            if (server is not null) await server.DisposeAsync();
        }
    }
}
