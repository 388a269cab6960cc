using Attest.LogServer.Api.OpenApi;
using System.Globalization;
using Attest.LogServer.Commands;
using Attest.LogServer.Log;
using Attest.Merkle;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api;

/// <summary>
/// The public read API auditors use: C2SP tlog-tiles (<c>/checkpoint</c>, <c>/tile/…</c>) and proofs. Everything
/// is served against an already signed tree size, never "the current tree" (design invariant 4).
/// </summary>
public static class LogApi
{
    private const string Immutable = "public, max-age=31536000, immutable";

    public static void MapLogApi(this WebApplication app)
    {
        app.MapGet("/checkpoint", (TransparencyLog log, HttpContext context) =>
        {
            // c2sp.org/tlog-tiles: the checkpoint changes every second or so; tiles do not.
            context.Response.Headers.CacheControl = "public, max-age=1";
            return Results.Text(log.Latest.Note, "text/plain; charset=utf-8");
        }).RequireCors(Cors.Public).PublicRoute().WithSummary("The latest signed checkpoint (c2sp.org/tlog-checkpoint)").ProducesText(200, "text/plain", Examples.Checkpoint);

        // Hash tiles are a read of memory-mapped hashes; entry bundles (their own route, so that it can be counted as
        // expensive) a file read or a copy from memory.
        app.MapGet("/tile/{**path}", (string path, TransparencyLog log, HttpContext context) => ServeTile("tile/" + path, log, context, null))
            .RequireCors(Cors.Public).PublicRoute()
            .WithSummary("A hash tile, /tile/<L>/<N>[.p/<W>] (c2sp.org/tlog-tiles)").Produces<byte[]>(200, "application/octet-stream").Fails(404, "not_found");
        app.MapGet("/tile/entries/{**path}", (string path, TransparencyLog log, HttpContext context, PublicRateLimits limits) => ServeTile("tile/entries/" + path, log, context, limits))
            .RequireCors(Cors.Public).PublicRoute(expensive: true)
            .WithSummary("An entry bundle, /tile/entries/<N>[.p/<W>] (c2sp.org/tlog-tiles)").Produces<byte[]>(200, "application/octet-stream").Fails(404, "not_found");

        app.MapGet("/v1/log/key", (TransparencyLog log) => Json.Result(new { origin = log.Origin, verifier_key = log.VerifierKey })).RequireCors(Cors.Public).PublicRoute()
            .WithSummary("The log's origin and note verifier key").Produces<LogKey>();

        app.MapGet("/v1/log/entries", async (HttpRequest request, Service.ProofService proofs, CancellationToken token) =>
            Json.Result(await proofs.EntryByLeafHash(LeafHashParam(request), token))).RequireCors(Cors.Public).PublicRoute(expensive: true)
            .WithSummary("The entry of a leaf hash, with its inclusion proof (a SCITT statement, by its entry id, as base64 in \"statement\")").Produces<LeafEntry>()
            .Query("leaf_hash", "The RFC 6962 leaf hash: 64 hex digits or 44 base64 characters (a \"+\" sent as %2B).", "eWbyaM0KHBpkd6WV3Y/Jv+9sZrV/rWDzf9cVc5brjhY=", required: true)
            .Fails(400, "missing_parameter", "invalid_parameter").Fails(404, "not_found").Fails(503, "checkpoint_pending");

        app.MapGet("/v1/log/proofs/inclusion", (HttpRequest request, TransparencyLog log) =>
        {
            var query = InclusionQuery.FromQuery(request);
            var (size, proof, checkpoint) = Inclusion(log, query);
            // Written as UTF-8 bytes with the content type as it stands: a string of the text, and the content type
            // parsed for its charset, were most of a served proof's garbage.
            if (checkpoint is not null) return Results.Bytes(new TlogProof(query.Index, proof, checkpoint.Note, null).FormatUtf8(), "text/plain; charset=utf-8");
            return Json.Result(new { index = query.Index, tree_size = size, proof = proof.Select(h => h.ToBase64()) });
        }).RequireCors(Cors.Public).PublicRoute(expensive: true)
            .WithSummary("An inclusion proof: JSON at a given tree_size, else a tlog-proof against the latest checkpoint")
            .Query("index", "The entry's index.", "0", required: true).Query("tree_size", "A published tree size; the latest checkpoint when absent.", "3")
            .Produces<InclusionProofJson>().ProducesText(200, "text/plain", Examples.TlogProof)
            .Fails(400, "missing_parameter", "invalid_parameter", "parameter_out_of_range", "index_out_of_range");

        app.MapGet("/v1/log/proofs/consistency", (HttpRequest request, TransparencyLog log) =>
        {
            var query = ConsistencyQuery.FromQuery(request);
            return Json.Result(new { first = query.First, second = query.Second, proof = Consistency(log, query).Select(h => h.ToBase64()) });
        }).RequireCors(Cors.Public).PublicRoute(expensive: true)
            .WithSummary("A consistency proof between two published tree sizes")
            .Query("first", "The smaller tree size.", "1", required: true).Query("second", "The larger tree size, at most the latest checkpoint's.", "3", required: true)
            .Produces<ConsistencyProofJson>().Fails(400, "missing_parameter", "invalid_parameter", "parameter_out_of_range");
    }

    /// <summary>
    /// The inclusion proof of <paramref name="index"/> at <paramref name="treeSize"/> (1 ≤ size ≤ the latest
    /// checkpoint), or, without a size, against the latest checkpoint, which is then returned for the tlog-proof.
    /// </summary>
    public static (long TreeSize, Hash[] Proof, SignedCheckpoint? Checkpoint) Inclusion(TransparencyLog log, InclusionQuery query)
    {
        var (index, treeSize) = query;
        var latest = log.Latest;
        if (treeSize is { } n)
        {
            InRange("tree_size", n, 1, latest.Size);
            if (index >= n) throw DomainError.Invalid("index_out_of_range", $"index {index} is not below tree_size {n}");
            return (n, InclusionProof.Prove(index, n, log.Hashes), null);
        }
        if (index >= latest.Size) throw DomainError.Invalid("index_out_of_range", $"index {index} is not below the checkpoint size {latest.Size}");
        return (latest.Size, InclusionProof.Prove(index, latest.Size, log.Hashes), latest);
    }

    /// <summary>The consistency proof between two published sizes, 1 ≤ first ≤ second ≤ the latest checkpoint.</summary>
    public static Hash[] Consistency(TransparencyLog log, ConsistencyQuery query)
    {
        var (first, second) = query;
        long latest = log.Latest.Size;
        InRange("first", first, 1, latest);
        InRange("second", second, first, latest);
        return ConsistencyProof.Prove(first, second, log.Hashes);
    }

    private static void InRange(string name, long v, long min, long max)
    {
        if (v < min || v > max) throw DomainError.Invalid("parameter_out_of_range", $"\"{name}\" must be between {min} and {max}");
    }

    private static async Task<IResult> ServeTile(string path, TransparencyLog log, HttpContext context, PublicRateLimits? limits)
    {
        if (!Tile.TryParsePath(path, out var tile)) throw DomainError.NotFound($"no such tile: /{path}");
        long treeSize = log.Latest.Size;
        if (!Tile.IsWithin(tile, treeSize)) throw DomainError.NotFound($"tile /{path} is not in the tree of size {treeSize}");
        // An entry bundle comes from the tile store, never from the records: those hold private bytes too.
        byte[] body = tile.Level < 0 ? await log.EntryTiles.ReadAsync(tile.N, tile.Width, context.RequestAborted) : Tile.ReadTileData(tile, log.Hashes);
        limits?.HoldForLargeAnswer(context, body.Length);
        // A full tile never changes; a partial tile of width W never changes either, but it is superseded and may go.
        context.Response.Headers.CacheControl = tile.Width == 256 ? Immutable : "public, max-age=60";
        return Results.Bytes(body, "application/octet-stream");
    }

    /// <summary>
    /// The required <c>leaf_hash</c> query parameter: an RFC 6962 leaf hash (SHA-256(0x00 || entry)) as 64 hex digits
    /// or as the 44-character padded base64 that checkpoints and stamps use (a "+" sent as %2B).
    /// </summary>
    private static Hash LeafHashParam(HttpRequest request)
    {
        var values = request.Query["leaf_hash"];
        if (values.Count == 0) throw DomainError.Invalid("missing_parameter", "query parameter \"leaf_hash\" is required");
        string text = values.Count == 1 ? values[0] ?? "" : "";
        if ((text.Length == 64 && Hash.TryParseHex(text, out var h)) || (text.Length == 44 && Hash.TryParseBase64(text, out h))) return h;
        throw DomainError.Invalid("invalid_parameter", "query parameter \"leaf_hash\" must be a SHA-256: 64 hex digits or 44 base64 characters");
    }

    /// <summary>A required decimal query parameter: digits only, at least <paramref name="min"/>, else a 400 naming it.</summary>
    public static long Param(HttpRequest request, string name, long min)
    {
        var values = request.Query[name];
        if (values.Count == 0) throw DomainError.Invalid("missing_parameter", $"query parameter \"{name}\" is required");
        if (values.Count > 1 || !long.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out long v) || (values[0]!.Length > 1 && values[0]![0] == '0'))
            throw DomainError.Invalid("invalid_parameter", $"query parameter \"{name}\" must be a decimal number");
        InRange(name, v, min, long.MaxValue);
        return v;
    }
}
