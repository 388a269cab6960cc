using System.Text.Json;
using Attest.LogServer.Api;

namespace Attest.LogServer.Commands;

/// <summary>
/// A supersession (README "HTTP API": <c>POST /v1/attestations/{id}/supersede</c>; <c>attest.v1.SupersedeRequest</c>):
/// the VALID attestation <paramref name="Id"/> is replaced by a new one minted from <paramref name="Attestation"/>.
/// </summary>
public sealed record SupersedeCommand(Guid Id, MintCommand Attestation)
{
    public static SupersedeCommand FromJson(string id, JsonElement body, LimitOptions limits) =>
        new(Field.Id(id, "attestation"), MintCommand.FromJson(body, limits));

    public static SupersedeCommand FromProto(V1.SupersedeRequest r, LimitOptions limits) =>
        new(Field.Id(r.Id, "attestation"), MintCommand.FromProto(r.Attestation ?? new V1.MintRequest(), limits));

    /// <summary>The <see cref="IdempotencyDigest"/>: the new attestation's, as the supersession of <see cref="Id"/>.</summary>
    public byte[] Digest() => Attestation.Digest($"supersede {Id}");
}

/// <summary>
/// A revocation (README "HTTP API": <c>POST /v1/attestations/{id}/revoke</c> with an optional <c>reason</c>;
/// <c>attest.v1.RevokeRequest</c>). The reason stays private.
/// </summary>
public sealed record RevokeCommand(Guid Id, string? Reason)
{
    public static RevokeCommand FromJson(string id, JsonElement body, LimitOptions limits)
    {
        var f = new RequestFields(body, "reason");
        return Validate(id, f.String("reason"), limits);
    }

    public static RevokeCommand FromProto(V1.RevokeRequest r, LimitOptions limits) => Validate(r.Id, Field.Present(r.Reason), limits);

    public static RevokeCommand Validate(string id, string? reason, LimitOptions limits) =>
        new(Field.Id(id, "attestation"), Field.Optional(reason, "reason", limits.MaxReasonLength, nameof(limits.MaxReasonLength)));
}
