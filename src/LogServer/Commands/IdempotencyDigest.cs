using System.Buffers;
using System.Text;
using Attest.Merkle;
using Attest.LogServer.Service;

namespace Attest.LogServer.Commands;

/// <summary>
/// What an idempotency key is bound to (README "Idempotency"): the SHA-256 of
/// <c>operation || 0x0A || JCS(command)</c>, where <c>operation</c> names the operation and its target
/// (<c>mint</c>, <c>supersede &lt;old id&gt;</c>, <c>stamp</c>) and <c>JCS(command)</c> is the RFC 8785 form of the
/// validated command as a JSON object: its fields by their REST names, after defaults are applied, absent optional
/// fields left out, and a payload as its <c>payload_sha256</c> (hex). A request is thus the same request whichever
/// transport carried it and however its JSON was spelled; a key replayed on another operation, another target or another
/// command is a different request (409 <c>idempotency_key_reused</c>).
/// </summary>
public static class IdempotencyDigest
{
    // One buffer per thread: a digest is computed synchronously, and a fresh buffer would grow with every mint.
    [ThreadStatic] private static ArrayBufferWriter<byte>? scratch;

    /// <summary>
    /// The digest of <paramref name="operation"/> and the command that <paramref name="write"/> writes as one JCS object
    /// (members in RFC 8785 §3.2.3 order, which the writer leaves to its caller).
    /// </summary>
    public static byte[] Of<TCommand>(string operation, TCommand command, Action<TCommand, Jcs.ObjectWriter> write)
    {
        var input = scratch ??= new ArrayBufferWriter<byte>(1024);
        input.ResetWrittenCount();
        Encoding.UTF8.GetBytes(operation, input);
        input.Write("\n"u8);
        try
        {
            write(command, new Jcs.ObjectWriter(input));
        }
        catch (ArgumentException e)
        {
            // Claims that are not I-JSON: both transports refuse them while binding; this keeps any other path a 400 too.
            throw DomainError.Invalid("invalid_json", "the request is not I-JSON (RFC 7493): " + e.Message);
        }
        var digest = Sha256.Hash(input.WrittenSpan);
        if (input.Capacity > 64 * 1024) scratch = null; // a large command's buffer is not kept
        return digest;
    }
}
