using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Attest.LogServer.Api.OpenApi;

/// <summary>
/// The OpenAPI document at <c>/openapi/v1.json</c> and the interactive reference over it at <c>/docs</c> (Scalar,
/// whose scripts are embedded in its package and served by this server: nothing is fetched from elsewhere).
/// </summary>
public static class ApiReference
{
    /// <summary>The security schemes: the API key in either header the server reads (<see cref="ApiKeys"/>), and a holder's token.</summary>
    public const string Bearer = "Bearer", ApiKey = "X-API-Key", HolderToken = "X-Holder-Token";

    public const string Path = "/docs";

    public static IServiceCollection AddApiReference(this IServiceCollection services)
    {
        // What the document's schemas are generated with; the responses are written with Json.Options, whose names these are.
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Attest",
                    Version = "v1",
                    Description = "A transparency-log attestation server. Paste an API key under Authentication (Bearer or X-API-Key) to try the calls that need one.",
                };
                // The framework's default tag (the assembly's name) is left without operations: each has its area's (OperationDocs.Tag).
                foreach (var unused in document.Tags?.Where(t => t.Name == typeof(ApiReference).Assembly.GetName().Name).ToList() ?? []) document.Tags!.Remove(unused);
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "An API key, sent as `Authorization: Bearer <key>`.",
                };
                document.Components.SecuritySchemes[ApiKey] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "X-API-Key", Description = "An API key, sent as `X-API-Key: <key>`.",
                };
                document.Components.SecuritySchemes[HolderToken] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "X-Holder-Token",
                    Description = "A holder's token for one attestation, instead of an API key.",
                };
                return Task.CompletedTask;
            });
            o.AddOperationTransformer<OperationDocs>();
        });
        return services;
    }

    public static void MapApiReference(this WebApplication app)
    {
        // Generated on every request: counted like the other expensive public routes.
        app.MapOpenApi().PublicRoute(expensive: true);
        app.MapScalarApiReference(Path, (options, context) =>
        {
            // One nonce a load: the page's only inline script (its configuration) runs, nothing injected does. Hex, which
            // the page writes into its attributes as it is (a base64 "+" or "/" it would HTML-encode).
            string nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy(nonce);
            options.WithTitle("Attest API reference")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .WithNonce(nonce)
                .DisableDefaultFonts()
                .AddPreferredSecuritySchemes(Bearer)
                .DisableAgent()
                .DisableMcp();
            // Nothing leaves this server: no telemetry, no AI agent, and no developer toolbar (its "Share" uploads the
            // document to the vendor, its other links lead there).
            options.Telemetry = false;
            options.ShowDeveloperTools = DeveloperToolsVisibility.Never;
            // A pasted key stays in the page's memory, never in the browser's storage.
            options.PersistentAuthentication = false;
        }).ExcludeFromDescription().PublicRoute().Add(endpoint =>
        {
            var inner = endpoint.RequestDelegate!;
            endpoint.RequestDelegate = context =>
            {
                // The page names the document of its address (/docs/{documentName}); there is one, and nothing else of the
                // request goes into the page.
                if (context.Request.RouteValues.TryGetValue("documentName", out var name) && name is string document && document != "v1")
                    throw Service.DomainError.NotFound($"no API reference \"{document}\": see /docs");
                var headers = context.Response.Headers;
                if (!headers.ContainsKey("Content-Security-Policy")) headers.ContentSecurityPolicy = ContentSecurityPolicy(null);
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                return inner(context);
            };
        });
    }

    /// <summary>
    /// The reference's policy, the verification page's (<see cref="WebPage.ContentSecurityPolicy"/>) but for the
    /// configuration script of this load (its nonce) and inline styles, which the UI sets as it renders: no style
    /// loads from elsewhere and no script runs from them. Fetches go to this origin only, which is where "try it"
    /// sends requests.
    /// </summary>
    private static string ContentSecurityPolicy(string? nonce) =>
        $"default-src 'none'; script-src 'self'{(nonce is null ? "" : $" 'nonce-{nonce}'")}; style-src 'self' 'unsafe-inline'; img-src 'self'; " +
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}
