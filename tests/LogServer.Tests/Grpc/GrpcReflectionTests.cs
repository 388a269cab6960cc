using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;

namespace Attest.LogServer.Tests.Grpc;

/// <summary>
/// Server reflection (grpc/doc/server-reflection.md): a client with no .proto files lists the services, learns a
/// method's messages from the descriptors the server sends, and calls it.
/// </summary>
public sealed class GrpcReflectionTests
{
    [Fact]
    public async Task a_client_without_protos_lists_the_services_and_calls_one_from_the_descriptors_it_gets()
    {
        await using var server = await ServerProcess.Start();
        await server.Client.Stamp("a first entry");
        var checkpoint = (await server.Client.CheckpointCovering(1)).Checkpoint;
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}");
        using var reflection = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();

        await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        Assert.True(await reflection.ResponseStream.MoveNext(CancellationToken.None));
        var services = reflection.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        foreach (var name in new[] { "attest.v1.Attestations", "attest.v1.Stamps", "attest.v1.Issuers", "attest.v1.Log", "grpc.health.v1.Health" })
            Assert.Contains(name, services);

        await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "attest.v1.Log" });
        Assert.True(await reflection.ResponseStream.MoveNext(CancellationToken.None));
        var files = reflection.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto;
        await reflection.RequestStream.CompleteAsync();
        // The file of attest.v1.Log and every file it imports, built in dependency order as the server sent them.
        var built = FileDescriptor.BuildFromByteStrings(Ordered(files));
        var method = built.SelectMany(f => f.Services).Single(s => s.FullName == "attest.v1.Log").FindMethodByName("GetCheckpoint");
        Assert.Empty(method.InputType.Fields.InDeclarationOrder());

        // An empty request message; the reply read with the field numbers the descriptor gives.
        var call = new Method<byte[], byte[]>(MethodType.Unary, method.Service.FullName, method.Name, Bytes, Bytes);
        byte[] reply = await channel.CreateCallInvoker().AsyncUnaryCall(call, null, new CallOptions(deadline: DateTime.UtcNow.AddMinutes(1)), []);
        var fields = Fields(reply);
        Assert.True((long)fields[method.OutputType.FindFieldByName("size").FieldNumber] >= checkpoint.Size);
        Assert.Equal(checkpoint.Origin, fields[method.OutputType.FindFieldByName("origin").FieldNumber]);
    }

    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    /// <summary>Top-level varint and string fields of a message, by number.</summary>
    private static Dictionary<int, object> Fields(byte[] message)
    {
        var fields = new Dictionary<int, object>();
        var input = new CodedInputStream(message);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            int number = WireFormat.GetTagFieldNumber(tag);
            switch (WireFormat.GetTagWireType(tag))
            {
                case WireFormat.WireType.Varint: fields[number] = (ulong)input.ReadInt64(); break;
                case WireFormat.WireType.LengthDelimited: fields[number] = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
        return fields.ToDictionary(f => f.Key, f => f.Value is ulong u ? (object)(long)u : f.Value);
    }

    /// <summary>Files with each one's imports before it (BuildFromByteStrings needs that order).</summary>
    private static List<ByteString> Ordered(IEnumerable<ByteString> files)
    {
        var protos = files.Select(FileDescriptorProto.Parser.ParseFrom).ToDictionary(f => f.Name);
        var ordered = new List<ByteString>();
        var seen = new HashSet<string>();
        void Visit(FileDescriptorProto f)
        {
            if (!seen.Add(f.Name)) return;
            foreach (var d in f.Dependency) if (protos.TryGetValue(d, out var dep)) Visit(dep);
            ordered.Add(f.ToByteString());
        }
        foreach (var f in protos.Values) Visit(f);
        return ordered;
    }
}
