using Attest.LogServer.Api;
using Attest.LogServer.Service;

namespace Attest.LogServer.Commands;

// The log and anchor reads that both transports offer (README "HTTP API", the public table; attest.v1.Log in
// proto/attest/v1/log.proto). REST binds query parameters (LogApi.Param: decimal digits, a 400 naming the parameter);
// gRPC maps its fields, where 0 is an absent optional number (proto3). What a value must be against the log itself
// (below the checkpoint size) is checked where the proof is made, against one checkpoint (LogApi).

/// <summary>An inclusion proof of entry <paramref name="Index"/>, at <paramref name="TreeSize"/> or, when null, against the latest checkpoint.</summary>
public sealed record InclusionQuery(long Index, long? TreeSize)
{
    public static InclusionQuery FromQuery(HttpRequest request) => new(
        LogApi.Param(request, "index", min: 0), request.Query.ContainsKey("tree_size") ? LogApi.Param(request, "tree_size", min: 1) : null);

    public static InclusionQuery FromProto(V1.InclusionProofRequest r) =>
        new(Field.NonNegative(r.Index, "index"), r.TreeSize > 0 ? r.TreeSize : r.TreeSize == 0 ? null : throw Negative("tree_size"));

    private static DomainError Negative(string name) => DomainError.Invalid("parameter_out_of_range", $"\"{name}\" must not be negative");
}

/// <summary>A consistency proof between two published tree sizes.</summary>
public sealed record ConsistencyQuery(long First, long Second)
{
    public static ConsistencyQuery FromQuery(HttpRequest request) => new(LogApi.Param(request, "first", min: 0), LogApi.Param(request, "second", min: 0));

    public static ConsistencyQuery FromProto(V1.ConsistencyProofRequest r) => new(r.First, r.Second);
}

/// <summary>A page of anchors from <paramref name="Start"/> (0 and up), at most <paramref name="Limit"/> (1 to <see cref="AnchorApi.MaxPage"/>).</summary>
public sealed record AnchorPageQuery(long Start, long Limit)
{
    public static AnchorPageQuery FromQuery(HttpRequest request) => Validate(
        request.Query.ContainsKey("start") ? LogApi.Param(request, "start", min: 0) : 0,
        request.Query.ContainsKey("limit") ? LogApi.Param(request, "limit", min: 0) : AnchorApi.DefaultPage);

    public static AnchorPageQuery FromProto(V1.ListAnchorsRequest r) => Validate(Field.NonNegative(r.Start, "start"), r.Limit == 0 ? AnchorApi.DefaultPage : r.Limit);

    public static AnchorPageQuery Validate(long start, long limit) =>
        limit is < 1 or > AnchorApi.MaxPage ? throw DomainError.Invalid("parameter_out_of_range", $"\"limit\" must be between 1 and {AnchorApi.MaxPage}")
        : new(start, limit);
}

/// <summary>A log entry named by its index in a route (<c>/v1/log/entries/{index}/…</c>): decimal digits, no leading zero.</summary>
public sealed record EntryIndex(long Index)
{
    public static EntryIndex FromRoute(string text) =>
        text.Length is > 0 and <= 18 && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0') ? new(long.Parse(text, System.Globalization.CultureInfo.InvariantCulture))
        : throw DomainError.Invalid("invalid_parameter", "the entry index must be a decimal number");
}
