using Attest.LogServer.Log;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Attest.LogServer.Observability;

/// <summary>
/// Metrics through OpenTelemetry: the write path's own meter (<see cref="LogMetrics"/>), ASP.NET Core's request and
/// Kestrel connection meters, and the runtime's (GC, JIT, thread pool), all built into .NET, so no instrumentation
/// package is needed. Prometheus scrapes them at <c>/metrics</c> (text exposition format; <c>attest.log.append.duration</c>
/// in ms becomes <c>attest_log_append_duration_milliseconds</c>). Setting <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (the
/// OpenTelemetry specification's variable, read from any configuration source) also pushes them by OTLP; the other
/// <c>OTEL_EXPORTER_OTLP_*</c> settings (protocol, headers) apply as the exporter documents.
/// </summary>
public static class Metrics
{
    public static readonly string[] Meters =
    [
        LogMetrics.MeterName,
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "System.Runtime",
    ];

    public static IServiceCollection AddAttestMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration["OTEL_SERVICE_NAME"] ?? "attest"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(Meters).AddPrometheusExporter();
                if (!string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])) metrics.AddOtlpExporter();
            });
        return services;
    }
}
