using Attest.LogServer.Api.OpenApi;
using Attest.LogServer.Anchor;
using Attest.LogServer.Commands;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>Anchors of checkpoints in an EVM chain (docs/ANCHORING.md): public, like the log itself.</summary>
public static class AnchorApi
{
    public const int DefaultPage = 100, MaxPage = 1000;

    public static void MapAnchorApi(this WebApplication app)
    {
        // Oldest first, as the log holds them; next_start is null on the last page.
        app.MapGet("/v1/anchors", async (HttpRequest request, AnchorLedger ledger) =>
        {
            return Json.Result(await Page(ledger, AnchorPageQuery.FromQuery(request), request.HttpContext.RequestAborted));
        }).RequireCors(Cors.Public).PublicRoute()
            .WithSummary("Anchors of checkpoints in an EVM chain, oldest first (?start=&limit=)").Produces<AnchorPage>()
            .Query("start", "The first anchor's sequence number.", "0").Query("limit", "At most this many anchors (1 to 1000).", "100").Fails(400, "invalid_parameter", "parameter_out_of_range");

        app.MapGet("/v1/anchors/latest", async (AnchorLedger ledger, HttpContext context) =>
            Json.Result(await Latest(ledger, context.RequestAborted))).RequireCors(Cors.Public).PublicRoute()
            .WithSummary("The latest anchor").Produces<AnchorView>().Fails(404, "not_found");

        app.MapGet("/v1/anchors/status", (Anchorer anchorer) => Json.Result(anchorer.Status())).RequireCors(Cors.Public).PublicRoute()
            .WithSummary("The anchorer's state and lag").Produces<AnchorStatus>();
    }

    public sealed record AnchorPage(IReadOnlyList<AnchorView> Anchors, long Total, long? NextStart);

    public static async Task<AnchorPage> Page(AnchorLedger ledger, AnchorPageQuery query, CancellationToken token)
    {
        var (start, limit) = query;
        long total = ledger.Count;
        var anchors = new List<AnchorView>();
        for (long n = start; n < total && anchors.Count < limit; n++) anchors.Add(await ledger.Read(n, token));
        long next = start + anchors.Count;
        return new AnchorPage(anchors, total, next < total ? next : null);
    }

    public static async Task<AnchorView> Latest(AnchorLedger ledger, CancellationToken token) =>
        ledger.Count is var n and > 0 ? await ledger.Read(n - 1, token) : throw DomainError.NotFound("no checkpoint has been anchored yet");
}
