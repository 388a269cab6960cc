using Attest.LogServer.Api.OpenApi;
using Attest.LogServer.Commands;
using Attest.LogServer.Service;
using Attest.LogServer.Service.Mail;

namespace Attest.LogServer.Api;

/// <summary>Delivery to holders by e-mail: its status for the issuer, and the holder's inbox.</summary>
public static class DeliveryApi
{
    public static IServiceCollection AddAttestMail(this IServiceCollection services, AttestOptions options)
    {
        services.AddSingleton(options.Mail);
        services.AddSingleton<HolderLinks>();
        services.AddSingleton<DeliveryStore>();
        services.AddSingleton<MailSender>();
        services.AddSingleton<MailDelivery>();
        services.AddSingleton<DeliveryReads>();
        // After LogHost: hosted services start in order, and the outbox is read from the opened log.
        services.AddHostedService(sp => sp.GetRequiredService<MailDelivery>());
        return services;
    }

    public static void MapDeliveryApi(this WebApplication app)
    {
        app.Keyed(AuthPolicies.ApiKey).MapGet("/v1/attestations/{id}/delivery", async (string id, Principal caller, DeliveryReads reads, CancellationToken token) =>
            Json.Result(await reads.Status(caller, Field.Id(id, "attestation"), token)))
            .WithSummary("The e-mail delivery of an attestation minted with recipient_email: pending, sent or failed, with attempts and the last error's class (its issuer's keys and the admin only).")
            .Produces<DeliveryView>().Fails(400, "invalid_id").Fails(401, "missing_api_key").Fails(403, "forbidden").Fails(404, "not_found", "not_mailed");

        // Keyless, with the holder's inbox token, so limited per address like the other public routes.
        app.Keyed(AuthPolicies.Reader).MapGet("/v1/holder/attestations", async (HttpContext context, DeliveryReads reads, CancellationToken token) =>
        {
            var page = await reads.Inbox(AttestationReader.From(context).HolderToken, Paging.FromQuery(context.Request), token);
            return Json.Result(new HolderInbox(page.Items, page.NextCursor));
        }).PublicRoute(expensive: true).WithSummary("Every attestation mailed to one address, with the holder token of each, for the bearer of that address's inbox token (X-Holder-Token: attest_inbox_…).")
            .Produces<HolderInbox>().Fails(400, "invalid_cursor", "invalid_page_size").Fails(403, "forbidden").Fails(429, "rate_limited");
    }
}
