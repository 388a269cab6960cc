using Attest.LogServer.Anchor;
using Attest.LogServer.Service;
using Attest.LogServer.Witnessing;

namespace Attest.LogServer.Api.OpenApi;

// The response bodies that routes build in place (anonymous objects), as the OpenAPI document shows them. The other
// routes answer with their services' own records (Service/), which the document shows as they are.

/// <summary>The attestations mailed to one address (<c>GET /v1/holder/attestations</c>), a page at a time.</summary>
public sealed record HolderInbox(IReadOnlyList<Service.Mail.InboxItem> Attestations, string? NextCursor);

public sealed record KeyList(IReadOnlyList<KeyView> Keys, string? NextCursor);

public sealed record ApiKeyList(IReadOnlyList<ApiKeyView> ApiKeys, string? NextCursor);

public sealed record SchemaList(IReadOnlyList<Schema> Schemas);

public sealed record LogKey(string Origin, string VerifierKey);

public sealed record PublishedKey(
    Guid IssuerId, string Kid, string Alg, string PublicKey, string Status, string ValidFrom, string? ValidUntil, string? CompromisedAt, long LogIndex,
    System.Text.Json.Nodes.JsonObject Jwk);

public sealed record Keyring(LogKey Log, IReadOnlyList<PublishedKey> Keys, string? NextCursor);

public sealed record InclusionProofJson(long Index, long TreeSize, IReadOnlyList<string> Proof);

public sealed record ConsistencyProofJson(long First, long Second, IReadOnlyList<string> Proof);

public sealed record Health(string Status);

/// <summary>Ready: the publishing, anchoring and witnessing states; unavailable (503): the reason and message instead.</summary>
public sealed record Readiness(
    string Status, long TreeSize, long CheckpointSize, string? CheckpointPublishing = null, AnchorStatus? Anchoring = null,
    WitnessingStatus? Witnessing = null, string? Reason = null, string? Message = null);
