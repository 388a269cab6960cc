using Attest.LogServer.Anchor;

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
            long start = request.Query.ContainsKey("start") ? LogApi.Param(request, "start", min: 0) : 0;
            long limit = request.Query.ContainsKey("limit") ? LogApi.Param(request, "limit", min: 0) : DefaultPage;
            return Json.Result(await Page(ledger, start, limit, request.HttpContext.RequestAborted));
        }).RequireCors(Cors.Public).PublicRoute();

        app.MapGet("/v1/anchors/latest", async (AnchorLedger ledger, HttpContext context) =>
            Json.Result(await Latest(ledger, context.RequestAborted))).RequireCors(Cors.Public).PublicRoute();

        app.MapGet("/v1/anchors/status", (Anchorer anchorer) => Json.Result(anchorer.Status())).RequireCors(Cors.Public).PublicRoute();
    }

    public sealed record AnchorPage(IReadOnlyList<AnchorView> Anchors, long Total, long? NextStart);

    public static async Task<AnchorPage> Page(AnchorLedger ledger, long start, long limit, CancellationToken token)
    {
        if (limit is < 1 or > MaxPage) throw ApiError.BadRequest("parameter_out_of_range", $"\"limit\" must be between 1 and {MaxPage}");
        long total = ledger.Count;
        var anchors = new List<AnchorView>();
        for (long n = start; n < total && anchors.Count < limit; n++) anchors.Add(await ledger.Read(n, token));
        long next = start + anchors.Count;
        return new AnchorPage(anchors, total, next < total ? next : null);
    }

    public static async Task<AnchorView> Latest(AnchorLedger ledger, CancellationToken token) =>
        ledger.Count is var n and > 0 ? await ledger.Read(n - 1, token) : throw ApiError.NotFound("no checkpoint has been anchored yet");
}
