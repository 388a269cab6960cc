using Google.Protobuf;
using Grpc.Core;

namespace Attest.LogServer.Grpc;

/// <summary>
/// The method descriptors of <c>proto/attest/v1</c>, bound by each service's <c>BindService</c> instead of through
/// Grpc.Tools' generated bases, for two reasons: a request that is not valid protobuf is INTERNAL, as
/// grpc/doc/statuscodes.md lists for "Error parsing request proto" (a generated parser's exception would be
/// UNKNOWN), and a reply may be any <see cref="IMessage"/> written as its proto type (a mint's
/// <see cref="AttestationReply"/>).
/// </summary>
internal static class GrpcMethods
{
    public static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string service, string name, MessageParser<TRequest> parser)
        where TRequest : IMessage<TRequest> where TResponse : IMessage =>
        new(MethodType.Unary, service, name, Request(parser), Reply<TResponse>());

    public static Method<TRequest, TResponse> ServerStreaming<TRequest, TResponse>(string service, string name, MessageParser<TRequest> parser)
        where TRequest : IMessage<TRequest> where TResponse : IMessage =>
        new(MethodType.ServerStreaming, service, name, Request(parser), Reply<TResponse>());

    /// <summary>Binds a unary method; the handler is the service class's method of that name (ProviderServiceBinder).</summary>
    public static void AddUnary<TRequest, TResponse>(this ServiceBinderBase binder, string service, string name, MessageParser<TRequest> parser)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage =>
        binder.AddMethod(Unary<TRequest, TResponse>(service, name, parser), (UnaryServerMethod<TRequest, TResponse>?)null);

    /// <summary>Binds a server-streaming method, as <see cref="AddUnary"/>.</summary>
    public static void AddServerStreaming<TRequest, TResponse>(this ServiceBinderBase binder, string service, string name, MessageParser<TRequest> parser)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage =>
        binder.AddMethod(ServerStreaming<TRequest, TResponse>(service, name, parser), (ServerStreamingServerMethod<TRequest, TResponse>?)null);

    private static Marshaller<T> Request<T>(MessageParser<T> parser) where T : IMessage<T> => Marshallers.Create<T>(Write, context =>
    {
        try
        {
            return parser.ParseFrom(context.PayloadAsReadOnlySequence());
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(new Status(StatusCode.Internal, "the request message is not valid protobuf: " + e.Message));
        }
    });

    private static Marshaller<T> Reply<T>() where T : IMessage =>
        Marshallers.Create<T>(Write, _ => throw new NotSupportedException("the server only writes its replies"));

    private static void Write<T>(T message, SerializationContext context) where T : IMessage
    {
        context.SetPayloadLength(message.CalculateSize());
        message.WriteTo(context.GetBufferWriter());
        context.Complete();
    }
}
