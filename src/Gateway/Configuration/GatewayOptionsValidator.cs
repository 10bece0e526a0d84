using Gateway.Listeners;
using Microsoft.Extensions.Options;

namespace Gateway.Configuration;

/// <summary>Rejects a configuration the data plane cannot run, with a message naming the key.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Listeners.Count; i++)
        {
            var listener = options.Listeners[i];
            var prefix = $"Gateway:Listeners:{i}:";
            errors.AddRange(ListenerRules.Validate(listener, field => prefix + field));
            if (ListenerNames.IsValid(listener.Name) && !names.Add(listener.Name))
            {
                errors.Add($"{prefix}Name '{listener.Name}' is used by another listener.");
            }
        }

        Positive(errors, "Gateway:Tcp:ReceiveBufferBytes", options.Tcp.ReceiveBufferBytes);
        Positive(errors, "Gateway:Tcp:Backlog", options.Tcp.Backlog);
        Positive(errors, "Gateway:Udp:IdleTimeoutSeconds", options.Udp.IdleTimeoutSeconds, ListenerRules.MaxIdleTimeoutSeconds);
        Positive(errors, "Gateway:Watch:MaxPreviewBytes", options.Watch.MaxPreviewBytes);
        Positive(errors, "Gateway:Watch:ClientQueueCapacity", options.Watch.ClientQueueCapacity);
        Positive(errors, "Gateway:Watch:ClientQueueBytes", options.Watch.ClientQueueBytes);
        Positive(errors, "Gateway:Watch:MaxBatchMessages", options.Watch.MaxBatchMessages);
        Positive(errors, "Gateway:Watch:MaxBatchBytes", options.Watch.MaxBatchBytes);
        if (!string.Equals(options.Capture.Durability, "process", StringComparison.OrdinalIgnoreCase)
            && !string.Equals(options.Capture.Durability, "power", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Gateway:Capture:Durability must be process or power (was '{options.Capture.Durability}').");
        }

        if (options.Watch.CoalesceMs is < 0 or > 1000)
        {
            errors.Add($"Gateway:Watch:CoalesceMs must be between 0 and 1000 (was {options.Watch.CoalesceMs}).");
        }

        Positive(errors, "Gateway:Capture:FlushIntervalMs", options.Capture.FlushIntervalMs);
        Positive(errors, "Gateway:Capture:BatchBytes", options.Capture.BatchBytes);
        Positive(errors, "Gateway:Capture:MaxBytes", options.Capture.MaxBytes);
        Positive(errors, "Gateway:Capture:MaxAgeHours", options.Capture.MaxAgeHours, 24 * 365 * 100);
        Positive(errors, "Gateway:Capture:QueueCapacity", options.Capture.QueueCapacity);
        Positive(errors, "Gateway:Capture:QueueBytes", options.Capture.QueueBytes);
        Positive(errors, "Gateway:Capture:PageBytes", options.Capture.PageBytes);
        Positive(errors, "Gateway:History:MaxClosedSessions", options.History.MaxClosedSessions);
        Positive(errors, "Gateway:Limits:MaxSendBytes", options.Limits.MaxSendBytes);
        Positive(errors, "Gateway:Limits:MaxPendingSendBytes", options.Limits.MaxPendingSendBytes);
        Positive(errors, "Gateway:Observers:ChannelCapacity", options.Observers.ChannelCapacity);
        Positive(errors, "Gateway:Observers:MaxPendingBytes", options.Observers.MaxPendingBytes);
        Positive(errors, "Gateway:ShutdownTimeoutSeconds", options.ShutdownTimeoutSeconds, ListenerRules.MaxTimeoutSeconds);
        Positive(errors, "Gateway:Limits:MaxSessionsPerListener", options.Limits.MaxSessionsPerListener);
        Positive(errors, "Gateway:Limits:MaxSessions", options.Limits.MaxSessions);
        Positive(errors, "Gateway:Limits:MaxListeners", options.Limits.MaxListeners);
        Positive(errors, "Gateway:Limits:MaxHttpConnections", options.Limits.MaxHttpConnections);
        if (FileDescriptors.Limit is { } files && FileDescriptors.Needed(options) > files)
        {
            errors.Add($"Gateway:Limits:MaxSessions ({options.Limits.MaxSessions}, {FileDescriptors.PerSession(options)} descriptors each) and MaxHttpConnections ({options.Limits.MaxHttpConnections}) "
                + $"need {FileDescriptors.Needed(options)} file descriptors with {FileDescriptors.Headroom} to spare, more than the process may open "
                + $"(RLIMIT_NOFILE {files}): lower them, or raise the limit (ulimit -n, LimitNOFILE=).");
        }
        if (options.Listeners.Count > options.Limits.MaxListeners)
        {
            errors.Add($"Gateway:Listeners has {options.Listeners.Count} listeners, more than Gateway:Limits:MaxListeners ({options.Limits.MaxListeners}).");
        }
        Positive(errors, "Gateway:Limits:MaxRequestBodyBytes", options.Limits.MaxRequestBodyBytes);
        Positive(errors, "Gateway:Limits:MaxHubMessageBytes", options.Limits.MaxHubMessageBytes);
        Positive(errors, "Gateway:Limits:RequestsPerSecond", options.Limits.RequestsPerSecond);
        Positive(errors, "Gateway:Limits:RequestBurst", options.Limits.RequestBurst);
        errors.AddRange(Security.AuthRules.Validate(options.Auth));
        for (var i = 0; i < options.Cors.Origins.Count; i++)
        {
            if (!Uri.TryCreate(options.Cors.Origins[i], UriKind.Absolute, out var origin) || origin.Scheme is not ("http" or "https")
                || origin.AbsolutePath != "/" || options.Cors.Origins[i].EndsWith('/'))
            {
                errors.Add($"Gateway:Cors:Origins:{i} '{options.Cors.Origins[i]}' is not an origin: write scheme://host[:port], e.g. https://tools.example.com.");
            }
        }
        Positive(errors, "Gateway:Framing:MaxFrameBytes", options.Framing.MaxFrameBytes);
        Positive(errors, "Gateway:Tls:HandshakeTimeoutSeconds", options.Tls.HandshakeTimeoutSeconds, ListenerRules.MaxTimeoutSeconds);
        Positive(errors, "Gateway:Tls:LeafLifetimeHours", options.Tls.LeafLifetimeHours, 24 * 397);
        Positive(errors, "Gateway:Tls:MaxCachedLeaves", options.Tls.MaxCachedLeaves);
        if (!string.IsNullOrWhiteSpace(options.Tls.CaCertificatePath) && !File.Exists(options.Tls.CaCertificatePath))
        {
            errors.Add($"Gateway:Tls:CaCertificatePath '{options.Tls.CaCertificatePath}' does not exist.");
        }

        if (!string.IsNullOrWhiteSpace(options.Tls.CaKeyPath) && !File.Exists(options.Tls.CaKeyPath))
        {
            errors.Add($"Gateway:Tls:CaKeyPath '{options.Tls.CaKeyPath}' does not exist.");
        }
        Positive(errors, "Gateway:Outbound:ConnectTimeoutSeconds", options.Outbound.ConnectTimeoutSeconds, ListenerRules.MaxTimeoutSeconds);
        for (var i = 0; i < options.Outbound.AllowedTargets.Count; i++)
        {
            if (!Connections.TargetPattern.TryParse(options.Outbound.AllowedTargets[i], out _))
            {
                errors.Add($"Gateway:Outbound:AllowedTargets:{i} '{options.Outbound.AllowedTargets[i]}' is not a target pattern: write {Connections.TargetPattern.Usage}.");
            }
        }

        Positive(errors, "Gateway:Intercept:MaxHeldPerSession", options.Intercept.MaxHeldPerSession);
        Positive(errors, "Gateway:Rules:RegexTimeoutMs", options.Rules.RegexTimeoutMs, 60_000);
        Positive(errors, "Gateway:Rules:MaxPerListener", options.Rules.MaxPerListener);
        Positive(errors, "Gateway:Decoding:QueueCapacity", options.Decoding.QueueCapacity);
        Positive(errors, "Gateway:Decoding:QueueBytes", options.Decoding.QueueBytes);
        Positive(errors, "Gateway:Intercept:MaxHeldBytesPerSession", options.Intercept.MaxHeldBytesPerSession);
        Positive(errors, "Gateway:Intercept:MaxHeldBytes", options.Intercept.MaxHeldBytes);
        Positive(errors, "Gateway:Intercept:PreviewBytes", options.Intercept.PreviewBytes);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, string key, double value, double max = double.MaxValue)
    {
        if (!(value > 0))
        {
            errors.Add($"{key} must be greater than 0 (was {value}).");
        }
        else if (value > max)
        {
            errors.Add($"{key} must be at most {max} (was {value}).");
        }
    }
}
