using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Attest.LogServer.Api.OpenApi;

/// <summary>
/// Completes each operation from its route's metadata: who may call it (the security requirement and the 401/403 of
/// its <see cref="AuthPolicies"/> policy), the error codes of each error status, and an example for its request body
/// and every response (<see cref="Examples"/>), so that the reference at <c>/docs</c> can fill a request in.
/// </summary>
public sealed class OperationDocs : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (!metadata.OfType<ITagsMetadata>().Any())
        {
            string tag = Tag(context.Description.RelativePath ?? "");
            var document = context.Document!;
            document.Tags ??= new HashSet<OpenApiTag>();
            if (!document.Tags.Any(t => t.Name == tag)) document.Tags.Add(new OpenApiTag { Name = tag });
            operation.Tags = new HashSet<OpenApiTagReference> { new(tag, document) };
        }
        var codes = metadata.OfType<ErrorCodes>().ToList();
        foreach (string? policy in metadata.OfType<IAuthorizeData>().Select(a => a.Policy).Distinct())
            Secure(operation, context.Document!, policy, codes);

        foreach (var p in metadata.OfType<DocParameter>())
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = p.Name, In = p.In, Description = p.Description, Required = p.Required,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String }, Example = JsonValue.Create(p.Example),
            });
        }

        // Every key's requests and every public route's are counted (Api/RateLimits.cs); a route with neither is not limited.
        if (metadata.OfType<RateLimitBucketAttribute>().Any() || metadata.OfType<PublicRoute>().Any())
        {
            operation.Responses ??= [];
            AddError(operation, codes, 429, ["rate_limited"]);
        }

        if (metadata.OfType<RequestBody>().LastOrDefault()?.Type is { } requestType)
        {
            var document = context.Document!;
            document.AddComponent(requestType.Name, await context.GetOrCreateSchemaAsync(requestType, null, cancellationToken));
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = !Examples.BodyIsOptional(requestType),
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = new OpenApiSchemaReference(requestType.Name, document), Example = Examples.Of(requestType) },
                },
            };
        }

        if (Scitt.ConciseProblemDetails.IsMarked(metadata)) DocumentConcise(operation, context.Description.HttpMethod);

        foreach (var type in context.Description.SupportedResponseTypes)
        {
            string status = type.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (operation.Responses?.TryGetValue(status, out var response) != true || response is not OpenApiResponse r) continue;
            if (type.Type == typeof(ApiError))
            {
                var known = codes.Where(c => c.Status == type.StatusCode).SelectMany(c => c.Codes).Distinct().ToArray();
                r.Description = Examples.ErrorDescription(type.StatusCode, known);
                foreach (var media in r.Content?.Values ?? []) media.Example ??= Examples.Error(type.StatusCode, known);
            }
            else
            {
                foreach (var (contentType, media) in r.Content ?? new Dictionary<string, OpenApiMediaType>())
                    media.Example ??= metadata.OfType<ResponseExample>().FirstOrDefault(e => e.Status == type.StatusCode && e.ContentType == contentType)?.Example switch
                    {
                        string text => JsonValue.Create(text),
                        JsonNode node => node.DeepClone(),
                        _ => Examples.Of(type.Type!),
                    };
            }
        }
    }

    /// <summary>
    /// A SCITT route (<see cref="Scitt.ConciseProblemDetails"/>): its body is a COSE_Sign1 (application/cose), and every
    /// refusal, the key's and the rate limit's too, is concise problem details, binary CBOR the document shows no example of.
    /// </summary>
    private static void DocumentConcise(OpenApiOperation operation, string? method)
    {
        var binary = () => new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
        if (method == "POST")
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = "A Signed Statement: a COSE_Sign1 (RFC 9052 §4.2) with CBOR tag 18, at most 65,535 bytes.",
                Content = new Dictionary<string, OpenApiMediaType> { ["application/cose"] = new() { Schema = binary() } },
            };
        foreach (var (status, response) in operation.Responses ?? [])
            if (status[0] is '4' or '5' && response is OpenApiResponse r)
                r.Content = new Dictionary<string, OpenApiMediaType> { [Scitt.ConciseProblemDetails.MediaType] = new() { Schema = binary() } };
    }

    /// <summary>A route's group in the reference, by its path: <c>/v1/stamps/{id}</c> is in "stamps", the tlog-tiles and log routes in "log".</summary>
    public static string Tag(string path)
    {
        var segments = path.Trim('/').Split('/');
        string tag = segments is ["v1", var area, ..] ? area : segments[0];
        return tag switch
        {
            "checkpoint" or "tile" => "log",
            ".well-known" or "schemas" or "issuers" or "api-keys" or "attestation-packs" => "issuers",
            "healthz" or "readyz" => "health",
            _ => tag,
        };
    }

    /// <summary>The security requirement and the authentication errors of a route under <paramref name="policy"/>.</summary>
    private static void Secure(OpenApiOperation operation, OpenApiDocument document, string? policy, List<ErrorCodes> codes)
    {
        string[] schemes = policy switch
        {
            AuthPolicies.Reader or AuthPolicies.KeyIfAny => [ApiReference.Bearer, ApiReference.ApiKey, ApiReference.HolderToken],
            _ => [ApiReference.Bearer, ApiReference.ApiKey],
        };
        operation.Security ??= [];
        // A route open to anyone that still checks a key when one is sent: the empty requirement says "or none".
        if (policy == AuthPolicies.KeyIfAny) operation.Security.Add(new OpenApiSecurityRequirement());
        foreach (string scheme in schemes)
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, document)] = [] });

        operation.Responses ??= [];
        AddError(operation, codes, 401, policy == AuthPolicies.KeyIfAny ? ["invalid_api_key"] : ["missing_api_key", "invalid_api_key"]);
        if (policy is AuthPolicies.Admin or AuthPolicies.Issuer) AddError(operation, codes, 403, ["forbidden"]);
    }

    private static void AddError(OpenApiOperation operation, List<ErrorCodes> codes, int status, string[] errors)
    {
        codes.Add(new ErrorCodes(status, errors));
        string key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.ContainsKey(key)) return;
        var known = codes.Where(c => c.Status == status).SelectMany(c => c.Codes).Distinct().ToArray();
        operation.Responses[key] = new OpenApiResponse
        {
            Description = Examples.ErrorDescription(status, known),
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new() { Schema = new OpenApiSchemaReference(nameof(ApiError)), Example = Examples.Error(status, known) },
            },
        };
    }
}
