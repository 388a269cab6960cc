using System.ComponentModel;

namespace Attest.LogServer.Api.OpenApi;

// The request bodies as the OpenAPI document shows them. Handlers read their bodies by hand into the typed commands
// (Commands/), which validate them; these types only describe those fields, named as on the wire. A field a command
// adds takes a line here.

/// <summary>Stamp content or its SHA-256: exactly one of <c>content</c> and <c>content_hash</c>.</summary>
public sealed record StampRequest(
    [property: Description("The content to stamp (UTF-8 text); its SHA-256 is logged. Kept only for a public stamp.")] string? Content,
    [property: Description("The SHA-256 of the content, 64 hex digits, instead of the content itself.")] string? ContentHash,
    [property: Description("\"hash_only\" (the default) or \"public\" (the content is kept and shown).")] string? Visibility,
    [property: Description("A title shown to the stamp's issuer.")] string? DisplayTitle,
    [property: Description("Labels for the issuer's own use.")] IReadOnlyList<string>? Tags);
