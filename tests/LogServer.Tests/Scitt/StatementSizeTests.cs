using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Attest.LogServer.Tests.Scitt;

/// <summary>A statement of exactly 65,535 bytes, a log entry's cap, is logged whole; one byte more is refused, with a Content-Length or chunked.</summary>
public sealed class StatementSizeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    /// <summary>A body sent chunked: no Content-Length.</summary>
    private sealed class Chunked(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private async Task<HttpStatusCode> RegisterChunked(byte[] statement)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "entries") { Content = new Chunked(statement) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ScittClient.Cose);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServerProcess.AdminKey);
        using var direct = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Client.BaseAddress };
        using var response = await direct.SendAsync(request);
        return response.StatusCode;
    }

    private static byte[] OfSize(ECDsa key, string kid, string issuerId, int size, char fill)
    {
        var header = ProtectedHeaderTests.Header(kid, issuerId);
        int overhead = ProtectedHeaderTests.Sign(key, header, new string(fill, 1000)).Length - 1000;
        var statement = ProtectedHeaderTests.Sign(key, header, new string(fill, size - overhead));
        Assert.Equal(size, statement.Length);
        return statement;
    }

    [Fact]
    public async Task a_statement_of_65535_bytes_is_logged_whole_and_one_of_65536_is_413_with_or_without_a_content_length()
    {
        var (issuerId, kid, key) = await ProtectedHeaderTests.IssuerWithKey(Client);
        using var _ = key;
        var largest = OfSize(key, kid, issuerId, 65_535, 'a');
        var chunkedLargest = OfSize(key, kid, issuerId, 65_535, 'b');
        var over = OfSize(key, kid, issuerId, 65_536, 'c');
        long before = await Client.TreeSize();

        var r = await Client.Register(over);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.Status);
        Assert.Equal("statement_too_large", (await ScittClient.DecodeProblems([r.Body]))[0].Str("error"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await RegisterChunked(over));
        Assert.Equal(before, await Client.TreeSize());

        var taken = await Client.Register(largest);
        Assert.True(taken.Status is HttpStatusCode.SeeOther or HttpStatusCode.Created, taken.Status.ToString());
        Assert.True(await RegisterChunked(chunkedLargest) is HttpStatusCode.SeeOther or HttpStatusCode.Created);
        Assert.Equal(before + 2, await Client.TreeSize());
        var entries = await ScittLog.Entries(Client);
        Assert.Contains(entries, e => e.AsSpan().SequenceEqual(largest));
        Assert.Contains(entries, e => e.AsSpan().SequenceEqual(chunkedLargest));

        // Its Transparent Statement is the statement with its receipt, over 65,535 bytes, served whole.
        long index = entries.FindIndex(e => e.AsSpan().SequenceEqual(largest));
        var (status, _, body, _) = await Client.GetBytes($"v1/log/entries/{index}/transparent-statement");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.Length > 65_535, body.Length.ToString());
    }
}
