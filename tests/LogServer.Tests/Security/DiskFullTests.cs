using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace Attest.LogServer.Tests.Security;

/// <summary>
/// A nearly full disk, on a real size-limited filesystem (a tmpfs mounted for the test, so it needs root): writes
/// are refused before the disk fills, reads go on, writes resume by themselves, and nothing acknowledged is lost.
/// </summary>
public sealed class DiskFullTests
{
    private const long MinFree = 32L << 20;

    private static async Task Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, UseShellExecute = false })!;
        string error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {error}");
    }

    [Fact]
    public async Task below_the_free_space_threshold_writes_get_507_reads_go_on_and_writes_resume_when_space_returns()
    {
        Assert.True(IsRoot(), "this test mounts a size-limited tmpfs and needs root (it runs as root in CI)");
        string mount = Directory.CreateTempSubdirectory("attest-small-disk-").FullName;
        await Run("mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", mount);
        ServerProcess? server = null;
        try
        {
            string dir = Path.Combine(mount, "data");
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
            string filler = Path.Combine(mount, "filler");
            long fill = new DriveInfo(mount).AvailableFreeSpace - MinFree / 2;
            using (var f = new FileStream(filler, FileMode.CreateNew))
            {
                var chunk = new byte[1 << 20];
                for (long written = 0; written < fill; written += chunk.Length) f.Write(chunk, 0, (int)Math.Min(chunk.Length, fill - written));
            }
            Assert.True(new DriveInfo(mount).AvailableFreeSpace < MinFree);

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
            var (grpcStatus, grpcMessage) = await GrpcStatus(server, "attest.v1.Issuers/CreateIssuer", new Attest.V1.CreateIssuerRequest { Name = "while full" });
            Assert.True(grpcStatus == "8" && grpcMessage.StartsWith("insufficient_storage"), $"gRPC answered {grpcStatus} {grpcMessage}"); // RESOURCE_EXHAUSTED

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
            await Run("umount", mount);
            Directory.Delete(mount);
        }
    }

    /// <summary>A unary gRPC call over h2c: its grpc-status and grpc-message (trailers, or headers of a trailers-only reply).</summary>
    private static async Task<(string Status, string Message)> GrpcStatus(ServerProcess server, string path, IMessage message)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.GrpcPort}/"), DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var bytes = message.ToByteArray();
        var frame = new byte[5 + bytes.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)bytes.Length);
        bytes.CopyTo(frame, 5);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(frame), Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServerProcess.AdminKey);
        using var response = await client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        string Header(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.Single() : response.Headers.TryGetValues(name, out var h) ? h.Single() : "";
        return (Header("grpc-status"), Uri.UnescapeDataString(Header("grpc-message")));
    }

    private static bool IsRoot() => File.ReadAllText("/proc/self/status").Split('\n').First(l => l.StartsWith("Uid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0";
}
