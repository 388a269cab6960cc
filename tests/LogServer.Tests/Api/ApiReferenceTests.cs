using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Attest.LogServer.Tests.Api;

/// <summary>
/// The OpenAPI document (/openapi/v1.json) of a real server: valid OpenAPI, and every route the server maps documented
/// with its request body, its success and error responses, and examples (Api/OpenApi/ApiDocs.cs says how a route
/// declares them).
/// </summary>
public sealed class ApiReferenceTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    /// <summary>Mapped routes that are no part of the API: the web page and its files, the document, the metrics (and the reference under /docs).</summary>
    private static readonly string[] NotApi = ["GET /", "GET /web/{name}", "GET /openapi/{documentName}.json", "GET /metrics"];

    /// <summary>The only routes without an error body: liveness answers or does not, and readiness says why it is not ready in its own body.</summary>
    private static readonly string[] OwnErrorBodies = ["GET /healthz", "GET /readyz"];

    [Fact]
    public async Task the_openapi_document_is_valid_openapi_with_the_key_schemes()
    {
        var (document, errors) = await Read();
        Assert.True(errors.Count == 0, "the OpenAPI document is not valid: " + string.Join("; ", errors));
        Assert.StartsWith("3.", (await Raw())["openapi"]!.GetValue<string>());
        var schemes = document.Components!.SecuritySchemes!;
        Assert.Equal(SecuritySchemeType.Http, schemes["Bearer"].Type);
        Assert.Equal("bearer", schemes["Bearer"].Scheme);
        Assert.Equal((SecuritySchemeType.ApiKey, ParameterLocation.Header, "X-API-Key"), (schemes["X-API-Key"].Type!.Value, schemes["X-API-Key"].In!.Value, schemes["X-API-Key"].Name));
    }

    [Fact]
    public async Task every_route_the_server_maps_is_in_the_openapi_document_and_only_the_pages_are_left_out()
    {
        var raw = await Raw();
        var paths = raw["paths"]!.AsObject();
        var problems = new List<string>();
        foreach (var route in MappedRoutes())
        {
            bool documented = paths[route.Path]?[route.Method.ToLowerInvariant()] is not null;
            if (route.Excluded && !NotApi.Contains(route.Name) && !route.Path.StartsWith("/docs", StringComparison.Ordinal))
                problems.Add($"{route.Name} is excluded from the OpenAPI document (ExcludeFromDescription) but is an API route: document it");
            else if (!route.Excluded && !documented)
                problems.Add($"{route.Name} is mapped but missing from /openapi/v1.json");
            if (route.RoutesByContentType)
                problems.Add($"{route.Name} has accepts metadata (.Accepts<T>), which makes routing refuse other bodies with a bare 404 or 415: declare its body with .Takes<T>()");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task every_operation_has_a_summary_schemas_for_its_body_and_responses_the_error_body_and_examples()
    {
        var raw = await Raw();
        var problems = new List<string>();
        foreach (var route in MappedRoutes().Where(r => !r.Excluded))
        {
            if (raw["paths"]![route.Path]?[route.Method.ToLowerInvariant()] is not JsonObject op) continue; // the test above names it
            string name = route.Name;
            if (op["summary"]?.GetValue<string>() is not { Length: > 0 }) problems.Add($"{name}: no summary (.WithSummary(\"...\"))");

            if (route.ReadsBody && route.Concise)
            {
                if (op["requestBody"]?["content"]?["application/cose"]?["schema"] is null) problems.Add($"{name}: reads a COSE body but declares no application/cose schema");
            }
            else if (route.ReadsBody)
            {
                if (op["requestBody"]?["content"]?["application/json"] is not JsonObject body)
                    problems.Add($"{name}: reads a JSON body but declares no request schema (.Takes<T>() with a type in Api/OpenApi/Requests.cs)");
                else
                {
                    if (body["schema"] is null) problems.Add($"{name}: the request body has no schema");
                    if (body["example"] is null) problems.Add($"{name}: the request body has no example (a line for its type in Api/OpenApi/Examples.cs)");
                }
            }

            var responses = op["responses"]?.AsObject() ?? [];
            var success = responses.Where(r => r.Key.StartsWith('2')).ToList();
            if (success.Count == 0) problems.Add($"{name}: no success response (.Produces<T>(status))");
            foreach (var (status, response) in success)
            {
                var content = response?["content"]?.AsObject();
                if (content is null || content.Count == 0) problems.Add($"{name}: response {status} has no content type and schema (.Produces<T>(status))");
                foreach (var (type, media) in content ?? [])
                {
                    if (media?["schema"] is null) problems.Add($"{name}: response {status} ({type}) has no schema");
                    if (media?["example"] is null && type is not ("application/octet-stream" or "application/cose")) problems.Add($"{name}: response {status} ({type}) has no example (a line for its type in Api/OpenApi/Examples.cs)");
                }
            }

            var errors = responses.Where(r => r.Key[0] is '4' or '5').ToList();
            if (OwnErrorBodies.Contains(name)) errors.Clear();
            else if (errors.Count == 0) problems.Add($"{name}: no error response (.Fails(status, codes))");
            foreach (var (status, response) in errors.Where(_ => route.Concise))
                if (response?["content"]?["application/concise-problem-details+cbor"]?["schema"] is null)
                    problems.Add($"{name}: error response {status} is not concise problem details (a SCITT route)");
            if (route.Concise) errors.Clear();
            foreach (var (status, response) in errors)
            {
                var media = response?["content"]?["application/json"];
                if (media?["schema"]?["$ref"]?.GetValue<string>() != "#/components/schemas/ApiError")
                    problems.Add($"{name}: error response {status} is not the error body (.Fails({status}, codes))");
                else if (media["example"] is not JsonObject example || example["success"]?.GetValue<bool>() != false || example["error"] is null || example["message"] is null)
                    problems.Add($"{name}: error response {status} has no example {{success:false, error, message}}");
            }
            if (route.Policy is not null && !responses.ContainsKey("401")) problems.Add($"{name}: needs an API key but documents no 401");
            if (route.Policy is not null && op["security"] is not JsonArray { Count: > 0 }) problems.Add($"{name}: needs an API key but has no security requirement");
            if (route.Policy is null && op["security"] is JsonArray { Count: > 0 } security && !security.Any(r => r is JsonObject { Count: 0 }))
                problems.Add($"{name}: is public but its security requirement does not allow calling it without a key ({{}})");
        }
        Assert.True(problems.Count == 0, $"{problems.Count} gaps in /openapi/v1.json:\n" + string.Join("\n", problems));
    }

    [Fact]
    public async Task documenting_a_body_leaves_its_reading_to_the_handler_so_another_media_type_is_still_415_and_no_content_type_is_read()
    {
        using var text = new HttpRequestMessage(HttpMethod.Post, "v1/stamps") { Content = new StringContent("{\"content\":\"a\"}", System.Text.Encoding.UTF8, "text/plain") };
        text.Headers.Add("X-API-Key", ServerProcess.AdminKey);
        using var refused = await fixture.Client.SendAsync(text);
        Http.AssertError((refused.StatusCode, JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");

        using var bare = new HttpRequestMessage(HttpMethod.Post, "v1/stamps") { Content = new ByteArrayContent("{\"content\":\"no content type\"}"u8.ToArray()) };
        bare.Headers.Add("X-API-Key", ServerProcess.AdminKey);
        using var read = await fixture.Client.SendAsync(bare);
        Assert.Equal(HttpStatusCode.Created, read.StatusCode);
    }

    [Fact]
    public async Task every_example_has_the_properties_its_schema_requires_and_no_others()
    {
        var raw = await Raw();
        var schemas = raw["components"]!["schemas"]!.AsObject();
        var problems = new List<string>();
        foreach (var (path, item) in raw["paths"]!.AsObject())
        {
            foreach (var (method, op) in item!.AsObject())
            {
                var medias = new List<(string Where, JsonNode? Media)>();
                foreach (var (type, media) in op?["requestBody"]?["content"]?.AsObject() ?? []) medias.Add(("request body", media));
                foreach (var (status, response) in op?["responses"]?.AsObject() ?? [])
                    foreach (var (type, media) in response?["content"]?.AsObject() ?? []) medias.Add(($"response {status}", media));
                foreach (var (where, media) in medias)
                {
                    if (media?["example"] is not JsonObject example || media["schema"]?["$ref"]?.GetValue<string>() is not { } reference) continue;
                    var schema = schemas[reference.Split('/')[^1]];
                    if (schema?["properties"]?.AsObject() is not { } properties) continue;
                    foreach (var (property, _) in example)
                        if (!properties.ContainsKey(property)) problems.Add($"{method.ToUpperInvariant()} {path}: the {where} example has \"{property}\", which its schema {reference} does not");
                    foreach (var required in schema["required"]?.AsArray().Select(r => r!.GetValue<string>()) ?? [])
                        if (!example.ContainsKey(required)) problems.Add($"{method.ToUpperInvariant()} {path}: the {where} example lacks \"{required}\", which its schema {reference} requires");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private async Task<JsonObject> Raw() => JsonNode.Parse(await fixture.Client.GetStringAsync("openapi/v1.json"))!.AsObject();

    private async Task<(OpenApiDocument Document, List<string> Errors)> Read()
    {
        string text = await fixture.Client.GetStringAsync("openapi/v1.json");
        var result = OpenApiDocument.Parse(text, "json", new OpenApiReaderSettings());
        var errors = (result.Diagnostic?.Errors ?? []).Select(e => $"{e.Pointer}: {e.Message}").ToList();
        Assert.NotNull(result.Document);
        errors.AddRange(result.Document!.Validate(ValidationRuleSet.GetDefaultRuleSet())?.Select(e => $"{e.Pointer}: {e.Message}") ?? []);
        return (result.Document, errors);
    }

    private sealed record Route(string Method, string Path, bool Excluded, bool ReadsBody, string? Policy, bool RoutesByContentType, bool Concise = false)
    {
        public string Name => $"{Method} {Path}";
    }

    /// <summary>
    /// The server's REST routes, as the server maps them (Hosting/AttestServer.cs, built in this process but never
    /// started): method, path in OpenAPI's form, whether it is left out of the document, whether its handler reads the
    /// body, and its authorization policy. gRPC methods are not REST routes.
    /// </summary>
    private static List<Route> MappedRoutes()
    {
        var builder = AttestServer.CreateBuilder([]);
        builder.Configuration["Attest:DataDir"] = ServerProcess.NewDataDir();
        builder.Configuration["Attest:AdminKey"] = ServerProcess.AdminKey;
        builder.Configuration["Attest:Log:Origin"] = "test.attest.local/log";
        Assert.True(AttestSettings.TryRead(builder.Configuration, out var settings, out var problem), problem);
        builder.AddAttest(settings!);
        using var app = builder.Build();
        app.MapAttest(settings!);
        var routes = new List<Route>();
        foreach (var endpoint in ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>())
        {
            var metadata = endpoint.Metadata;
            if (metadata.Any(m => m.GetType().FullName == "Grpc.AspNetCore.Server.GrpcMethodMetadata")) continue;
            var methods = metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods;
            if (methods is null) continue;
            string path = OpenApiPath(endpoint.RoutePattern.RawText!);
            bool excluded = metadata.GetMetadata<IExcludeFromDescriptionMetadata>()?.ExcludeFromDescription == true;
            var handler = metadata.GetMetadata<MethodInfo>();
            bool takesRequest = handler?.GetParameters().Any(p => p.ParameterType == typeof(HttpRequest) || p.ParameterType == typeof(HttpContext)) == true;
            string? policy = metadata.OfType<Microsoft.AspNetCore.Authorization.IAuthorizeData>().Select(a => a.Policy).FirstOrDefault();
            if (policy == Attest.LogServer.Api.AuthPolicies.KeyIfAny) policy = null; // open to anyone: a key is checked only when sent
            foreach (string method in methods)
            {
                if (method == "OPTIONS" || method == "HEAD") continue;
                routes.Add(new Route(method, path, excluded, takesRequest && method is "POST" or "PUT" or "PATCH", policy,
                    metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>() is not null, Attest.LogServer.Scitt.ConciseProblemDetails.IsMarked(metadata)));
            }
        }
        Assert.NotEmpty(routes);
        return routes;
    }

    /// <summary>A route template as OpenAPI writes it: <c>/tile/{**path}</c> is <c>/tile/{path}</c>, constraints and defaults dropped.</summary>
    private static string OpenApiPath(string template)
    {
        string path = System.Text.RegularExpressions.Regex.Replace(template, @"\{\*{0,2}([A-Za-z_][A-Za-z0-9_]*)[^}]*\}", "{$1}");
        return path.StartsWith('/') ? path : "/" + path;
    }
}
