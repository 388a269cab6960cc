using Attest.LogServer.Service;

namespace Attest.LogServer.Commands;

/// <summary>The <c>?limit=</c> and <c>?cursor=</c> of a REST list (README "Lists"), as a <see cref="PageRequest"/>.</summary>
public static class Paging
{
    public static PageRequest FromQuery(HttpRequest request)
    {
        long? limit = request.Query.ContainsKey("limit") ? Api.LogApi.Param(request, "limit", min: 0) : null;
        var cursor = request.Query["cursor"];
        if (cursor.Count > 1) throw DomainError.Invalid("invalid_cursor", "give one cursor");
        return PageRequest.Of(cursor.Count == 1 ? cursor[0] : null, limit);
    }
}
