using System.Buffers;
using System.Text;
using Attest.Load;
using Attest.V1;
using Google.Protobuf;

namespace Attest.LogServer.Tests.Grpc;

/// <summary>The load tool's own HTTP/2 client: HPACK against RFC 7541's examples, and gRPC calls to a real server.</summary>
public sealed class LoadClientTests
{
    private static List<string> Decode(HPackDecoder decoder, string hex)
    {
        var fields = new List<string>();
        decoder.Decode(Convert.FromHexString(hex.Replace(" ", "")), (n, v) => fields.Add($"{Encoding.ASCII.GetString(n)}: {Encoding.ASCII.GetString(v)}"));
        return fields;
    }

    [Fact]
    public void hpack_decodes_the_rfc_7541_requests_without_huffman_and_keeps_their_dynamic_table()
    {
        var d = new HPackDecoder(); // RFC 7541 C.3.1–C.3.3
        Assert.Equal([":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com"],
            Decode(d, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"));
        Assert.Equal(57, d.TableSize);
        Assert.Equal([":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com", "cache-control: no-cache"],
            Decode(d, "8286 84be 5808 6e6f 2d63 6163 6865"));
        Assert.Equal(110, d.TableSize);
        Assert.Equal([":method: GET", ":scheme: https", ":path: /index.html", ":authority: www.example.com", "custom-key: custom-value"],
            Decode(d, "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"));
        Assert.Equal(164, d.TableSize);
    }

    [Fact]
    public void hpack_decodes_the_rfc_7541_responses_without_huffman_evicting_from_a_256_byte_table()
    {
        var d = new HPackDecoder(256); // RFC 7541 C.5.1–C.5.3
        Assert.Equal([":status: 302", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:21 GMT", "location: https://www.example.com"],
            Decode(d, "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"));
        Assert.Equal(222, d.TableSize);
        Assert.Equal([":status: 307", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:21 GMT", "location: https://www.example.com"],
            Decode(d, "4803 3330 37c1 c0bf"));
        Assert.Equal(222, d.TableSize);
        Assert.Equal([":status: 200", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:22 GMT", "location: https://www.example.com", "content-encoding: gzip",
            "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
            Decode(d, "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31"));
        Assert.Equal(215, d.TableSize);
    }

    [Theory]
    [InlineData("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "Huffman")] // RFC 7541 C.4.1, Huffman-coded
    [InlineData("3fe2 1f", "above the 4096 announced")] // a table size update to 4096 + 1
    [InlineData("be", "beyond the dynamic table")] // index 62 of an empty table
    [InlineData("82 20", "after a header field")]
    [InlineData("0f", "inside an integer")]
    [InlineData("00 05 6162", "past the end")]
    public void hpack_refuses_what_it_cannot_decode_with_a_reason(string hex, string reason) =>
        Assert.Contains(reason, Assert.Throws<HPackException>(() => Decode(new HPackDecoder(), hex)).Message);

    [Theory]
    [InlineData(10, 5, "0a")] // RFC 7541 C.1.1
    [InlineData(1337, 5, "1f9a0a")] // C.1.2
    [InlineData(42, 8, "2a")] // C.1.3
    [InlineData(31, 5, "1f00")]
    public void hpack_integers_are_written_and_read_as_rfc_7541_shows(int value, int prefix, string hex)
    {
        var w = new ArrayBufferWriter<byte>();
        HPackDecoder.WriteInteger(w, value, prefix, 0);
        Assert.Equal(hex, Convert.ToHexStringLower(w.WrittenSpan));
        ReadOnlySpan<byte> input = w.WrittenSpan;
        Assert.Equal(value, HPackDecoder.Integer(ref input, prefix));
        Assert.Equal(0, input.Length);
    }

    private static byte[] Frame(IMessage message) => GrpcChannel.Frame(message.ToByteArray());

    private static string Hash(int i) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));

    [Fact]
    public async Task the_lean_client_reports_success_only_for_calls_the_server_answered_with_status_0_and_a_message()
    {
        await using var server = await ServerProcess.Start();
        using var grpc = await LeanGrpcChannel.Connect(new Uri($"http://127.0.0.1:{server.GrpcPort}"), 1, ServerProcess.AdminKey);
        Assert.Null(await grpc.Call(0, "/attest.v1.Stamps/Create", Frame(new CreateStampRequest { ContentHash = Hash(1) }), null));
        Assert.Equal("grpc 3 INVALID_ARGUMENT", await grpc.Call(0, "/attest.v1.Stamps/Create", Frame(new CreateStampRequest { ContentHash = "not hex" }), null));
        Assert.Equal("grpc 12 UNIMPLEMENTED", await grpc.Call(0, "/attest.v1.Stamps/Nothing", Frame(new CreateStampRequest()), null));
        Assert.Equal(1, await server.Client.TreeSize());

        using var stranger = await LeanGrpcChannel.Connect(new Uri($"http://127.0.0.1:{server.GrpcPort}"), 1, "not-a-key");
        Assert.Equal("grpc 16 UNAUTHENTICATED", await stranger.Call(0, "/attest.v1.Attestations/Mint", Frame(new MintRequest()), null));
    }

    [Fact]
    public async Task the_lean_client_queues_calls_beyond_the_stream_limit_and_the_send_window_and_loses_none()
    {
        await using var server = await ServerProcess.Start();
        using var grpc = await LeanGrpcChannel.Connect(new Uri($"http://127.0.0.1:{server.GrpcPort}"), 1, ServerProcess.AdminKey);
        // 300 calls at once: three times Kestrel's 100 streams per connection.
        var small = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => grpc.Call(i, "/attest.v1.Stamps/Create", Frame(new CreateStampRequest { ContentHash = Hash(i) }), null).AsTask()));
        Assert.All(small, Assert.Null);
        // 40 messages of 40 KB: each split into DATA frames of 16 KB, 1.6 MB in all against a 1 MB connection window.
        var large = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => grpc.Call(i, "/attest.v1.Stamps/Create",
            Frame(new CreateStampRequest { Content = new string((char)('a' + i % 26), 40_000) + i, Visibility = "public" }), null).AsTask()));
        Assert.All(large, Assert.Null);
        Assert.Equal(340, await server.Client.TreeSize());
    }

    [Fact]
    public async Task the_lean_client_fails_every_call_in_flight_when_the_server_goes_away()
    {
        var server = await ServerProcess.Start();
        using var grpc = await LeanGrpcChannel.Connect(new Uri($"http://127.0.0.1:{server.GrpcPort}"), 1, ServerProcess.AdminKey);
        Assert.Null(await grpc.Call(0, "/attest.v1.Stamps/Create", Frame(new CreateStampRequest { ContentHash = Hash(1) }), null));
        await server.DisposeAsync();
        var error = await grpc.Call(0, "/attest.v1.Stamps/Create", Frame(new CreateStampRequest { ContentHash = Hash(2) }), null);
        Assert.NotNull(error);
        Assert.Matches("GOAWAY|closed|lost", error);
    }
}
