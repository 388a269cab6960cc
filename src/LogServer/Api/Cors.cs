namespace Attest.LogServer.Api;

/// <summary>Public read and verify endpoints may be called from any web page (the verification page, auditors' tools).</summary>
public static class Cors
{
    public const string Public = "public";

    public static void AddPublicCors(this IServiceCollection services) =>
        services.AddCors(o => o.AddPolicy(Public, p => p.AllowAnyOrigin().AllowAnyHeader().WithMethods("GET", "POST").WithExposedHeaders("Cache-Control")));
}
