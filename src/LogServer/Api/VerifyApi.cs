using Attest.LogServer.Api.OpenApi;
using Attest.LogServer.Commands;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>
/// The public <c>POST /v1/verify</c>: a stamp by <c>content</c> or <c>content_hash</c> (earliest stamp), or an
/// attestation by <c>attestation_id</c>, <c>attestation</c> (payload and signature), <c>bundle</c> or
/// <c>document_hash</c>, optionally with the <c>document_sha256</c> to compare (or, within the body limit, the
/// <c>document</c> itself, base64url); and the proof bundle (<see cref="ProofService.Bundle"/>). A <c>bundle</c> is verified as <c>attest verify
/// --online</c> verifies it (docs/VERIFYING.md), under this log's key or the <c>policy</c> file's text when given.
/// </summary>
public static class VerifyApi
{
    public static void MapVerifyApi(this WebApplication app)
    {
        long maxBody = app.Services.GetRequiredService<AttestOptions>().MaxVerifyBodyBytes;
        // The route is keyless, so its body limit is what any client may make the server read and parse per request.
        app.MapPost("/v1/verify", async (HttpRequest request, StampService stamps, VerifyService verify, CancellationToken token) =>
        {
            return Json.Result(await Verify(VerifyCommand.FromJson(await Json.ReadObject(request, token), maxBody), stamps, verify, token));
        }).WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(maxBody)).RequireCors(Cors.Public).PublicRoute(expensive: true)
            .WithSummary("Verify an attestation, a proof bundle or a stamp (public; a stamp subject answers as VerifyResult)")
            .Takes<VerifyRequest>().Produces<Service.Verification>()
            .Fails(400, "missing_subject", "invalid_attestation", "invalid_bundle", "invalid_policy", "invalid_document", "invalid_document_hash", "invalid_content_hash", "invalid_json")
            .Fails(404, "not_found").Fails(413, "payload_too_large").Fails(415, "unsupported_media_type");

        // Anyone gets the public part; the payload needs the issuer's key, the admin key or the holder token.
        app.Keyed(AuthPolicies.KeyIfAny).MapGet("/v1/attestations/{id}/proof-bundle", async (string id, HttpContext context, ProofService proofs, CancellationToken token) =>
            Json.Result(await proofs.Bundle(Field.Id(id, "attestation"), AttestationReader.From(context), token))).RequireCors(Cors.Public).PublicRoute(expensive: true)
            .WithSummary("An attestation's offline proof bundle (the payload only with its issuer's key, the admin key or its holder token)")
            .Produces<Attest.Verification.ProofBundle>().Fails(400, "invalid_id").Fails(401, "invalid_holder_token").Fails(404, "not_found").Fails(503, "checkpoint_pending");
    }

    /// <summary>Runs a verification; the answer is a stamp's (<see cref="VerifyResult"/>) or an attestation's (<see cref="Verification"/>).</summary>
    public static async Task<object> Verify(VerifyCommand command, StampService stamps, VerifyService verify, CancellationToken token) => command.Subject switch
    {
        VerifySubject.ContentHash or VerifySubject.Content => await stamps.Verify(command.ContentHash, token),
        _ => await verify.Verify(command, token),
    };
}
