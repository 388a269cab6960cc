using Attest.LogServer.Grpc;
using Attest.LogServer.Log;
using Attest.LogServer.Service;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Attest.LogServer.Api;

/// <summary>
/// Who may call what, as ASP.NET Core authorization policies on route groups and gRPC methods. The checks that need
/// the resource itself (the attestation's issuer, a pack's, a key's, a gRPC message's issuer id) are made where it is
/// loaded, with the same rule (<see cref="Principal.ActsFor"/>, <see cref="Reader.Entitled"/>).
/// </summary>
public static class AuthPolicies
{
    /// <summary>The admin key.</summary>
    public const string Admin = "admin";

    /// <summary>Any valid API key (an issuer's or the admin's).</summary>
    public const string ApiKey = "api_key";

    /// <summary>An API key that acts for the issuer named by the route's <c>{id}</c>, or the admin key.</summary>
    public const string Issuer = "issuer";

    /// <summary>An API key or a holder token (reading one attestation); whether it may read that one is the service's check.</summary>
    public const string Reader = "reader";

    /// <summary>Nothing required, but a key that is sent must be valid: a wrong key is 401, never quietly anonymous.</summary>
    public const string KeyIfAny = "key_if_any";

    internal const string NeedsAdmin = "this needs the admin key";
    internal const string WrongIssuer = "this API key cannot act for that issuer";
    internal const string NotAllowed = "this API key may not do that";
    private const string SendKey = "send an API key as \"Authorization: Bearer <key>\" or \"X-API-Key: <key>\"";
    private const string SendKeyOrToken = "send the issuer's API key (\"Authorization: Bearer <key>\") or the attestation's holder token (X-Holder-Token)";

    public static IServiceCollection AddAttestAuth(this IServiceCollection services, AttestOptions options)
    {
        services.AddSingleton(sp => new ApiKeys(Secrets.LoadAdminKeyHash(options), sp.GetRequiredService<Registry>(), sp.GetRequiredService<TimeProvider>()));
        services.AddAuthentication(ApiKeyAuthentication.SchemeName).AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Admin, p => p.RequireAuthenticatedUser().AddRequirements(new AdminRequirement()))
            .AddPolicy(ApiKey, p => p.RequireAuthenticatedUser())
            .AddPolicy(Issuer, p => p.RequireAuthenticatedUser().AddRequirements(new IssuerRequirement("id")))
            .AddPolicy(Reader, p => p.AddRequirements(new KeyOrHolderToken()))
            .AddPolicy(KeyIfAny, p => p.AddRequirements(new NoRejectedKey()));
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, Refusals>();
        // Stateless, but registered transient: the authorization middleware would build this graph of six objects for
        // every request (a mint too). As singletons, once.
        foreach (var type in (Type[])[typeof(IPolicyEvaluator), typeof(IAuthorizationService), typeof(IAuthorizationPolicyProvider),
                     typeof(IAuthorizationHandlerProvider), typeof(IAuthorizationHandlerContextFactory), typeof(IAuthorizationEvaluator)])
        {
            var transient = services.Single(d => d.ServiceType == type && d.Lifetime == ServiceLifetime.Transient);
            services.Replace(ServiceDescriptor.Singleton(type, transient.ImplementationType!));
        }
        return services;
    }

    /// <summary>
    /// Authentication, authorization and the per-key rate limit, in that order, before any endpoint runs. For gRPC this
    /// is before the library reads a message, and before <see cref="GrpcLimits"/>: a refusal needs only the headers,
    /// while the limits may wait for the message's first bytes, which a caller without a valid key never gets to make
    /// the server wait for.
    /// </summary>
    public static void UseAttestAuth(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.Use(app.Services.GetRequiredService<RateLimiter>().Invoke);
    }

    /// <summary>A group of routes (paths unchanged) under <paramref name="policy"/>, counted in the key's default rate-limit bucket.</summary>
    public static RouteGroupBuilder Keyed(this IEndpointRouteBuilder app, string policy) =>
        app.MapGroup("").RequireAuthorization(policy).WithMetadata(RateLimitBucketAttribute.Default);

    /// <summary>The 401 of a request without a valid key: the scheme's refusal of a key it was sent, else "send one".</summary>
    internal static DomainError Unauthenticated(AuthenticateResult result, bool holderTokenToo = false) =>
        result.Failure as DomainError ?? new DomainError(ErrorKind.Unauthenticated, "missing_api_key", holderTokenToo ? SendKeyOrToken : SendKey);

    /// <summary>Whether a request sends an API key (valid or not).</summary>
    internal static bool SendsKey(HttpRequest request) => request.Headers.ContainsKey("Authorization") || request.Headers.ContainsKey("X-API-Key");

    private static bool Authenticated(AuthorizationHandlerContext context) => context.User.Identity is ApiKeyIdentity;

    private sealed class AdminRequirement : AuthorizationHandler<AdminRequirement>, IAuthorizationRequirement, IRefusal
    {
        public string Message => NeedsAdmin;

        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AdminRequirement requirement)
        {
            if (Principal.Of(context.User)?.IsAdmin == true) context.Succeed(requirement);
            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// Resource-based on the route: the issuer is the route value <paramref name="routeValue"/>. A value that is not an
    /// issuer id passes only for the admin, whose request the endpoint then refuses as 400 <c>invalid_id</c>.
    /// </summary>
    private sealed class IssuerRequirement(string routeValue) : AuthorizationHandler<IssuerRequirement>, IAuthorizationRequirement, IRefusal
    {
        public string Message => WrongIssuer;

        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, IssuerRequirement requirement)
        {
            if (Principal.Of(context.User) is { } caller && context.Resource is HttpContext http
                && (caller.IsAdmin || (Guid.TryParseExact(http.GetRouteValue(routeValue) as string, "D", out var issuerId) && caller.ActsFor(issuerId))))
                context.Succeed(requirement);
            return Task.CompletedTask;
        }
    }

    private sealed class KeyOrHolderToken : AuthorizationHandler<KeyOrHolderToken>, IAuthorizationRequirement
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, KeyOrHolderToken requirement)
        {
            if (context.Resource is HttpContext http && (Authenticated(context)
                || (!SendsKey(http.Request) && (http.Request.Headers.ContainsKey(AttestationReader.Header) || http.Request.Query.ContainsKey(AttestationReader.Query)))))
                context.Succeed(requirement);
            return Task.CompletedTask;
        }
    }

    private sealed class NoRejectedKey : AuthorizationHandler<NoRejectedKey>, IAuthorizationRequirement
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, NoRejectedKey requirement)
        {
            if (context.Resource is HttpContext http && (Authenticated(context) || !SendsKey(http.Request))) context.Succeed(requirement);
            return Task.CompletedTask;
        }
    }

    private interface IRefusal
    {
        string Message { get; }
    }

    /// <summary>
    /// What the authorization middleware answers when a policy fails, instead of an empty 401 or 403: the JSON error
    /// body (REST) or a trailers-only status with "code: message" (gRPC), written before any body is read.
    /// </summary>
    private sealed class Refusals : IAuthorizationMiddlewareResultHandler
    {
        // Not async where it lets a request through: a mint pays no state machine here.
        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result) =>
            result.Succeeded ? next(context) : Refuse(context, policy, result);

        private static async Task Refuse(HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
        {
            if (result.Challenged)
            {
                // The scheme's result of this request, kept by its handler: no second check of the key.
                var authenticated = await context.AuthenticateAsync(ApiKeyAuthentication.SchemeName);
                await ErrorHandling.Refuse(context, Unauthenticated(authenticated, policy.Requirements.Any(r => r is KeyOrHolderToken)));
                return;
            }
            string message = result.AuthorizationFailure?.FailedRequirements.OfType<IRefusal>().FirstOrDefault()?.Message ?? NotAllowed;
            await ErrorHandling.Refuse(context, new DomainError(ErrorKind.PermissionDenied, "forbidden", message));
        }
    }
}
