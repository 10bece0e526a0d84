using Gateway.Listeners;
using Gateway.Sessions;

namespace Gateway.Faults;

/// <summary>Turns a flat fault request into a <see cref="FaultInfo"/>, or a 400 that names the field.</summary>
internal static class FaultRules
{
    private static readonly Dictionary<string, FaultType> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        ["latency"] = FaultType.Latency,
        ["bandwidth"] = FaultType.Bandwidth,
        ["slicer"] = FaultType.Slicer,
        ["timeout"] = FaultType.Timeout,
        ["resetPeer"] = FaultType.ResetPeer,
        ["limitData"] = FaultType.LimitData,
        ["loss"] = FaultType.Loss,
        ["duplicate"] = FaultType.Duplicate,
    };

    /// <summary>The longest delay any fault field may ask for (ms, jitterMs, afterMs): one hour.</summary>
    public const int MaxMs = 3_600_000;

    /// <summary>Bandwidth cap's upper end: 100 Gbit/s (anything faster is no cap).</summary>
    public const int MaxKbps = 100_000_000;

    /// <summary>Slicer sizes: no read is larger than this.</summary>
    public const int MaxSliceBytes = 16 * 1024 * 1024;

    /// <summary>The slicer's longest pause between slices: one minute.</summary>
    public const int MaxDelayUs = 60_000_000;

    public static FaultInfo Parse(string id, FaultRequest request, ListenerProtocol protocol)
    {
        if (request.Type is null || !Types.TryGetValue(request.Type, out var type))
        {
            throw CommandException.BadInput($"type '{request.Type}' is not a fault: use {string.Join(", ", Types.Keys)}.");
        }

        var direction = request.Direction?.Trim().ToLowerInvariant() switch
        {
            null or "" or "both" => "both",
            "in" => "in",
            "out" => "out",
            _ => throw CommandException.BadInput($"direction '{request.Direction}' must be in, out or both."),
        };
        var toxicity = request.Toxicity ?? 1;
        if (toxicity is < 0 or > 1 || double.IsNaN(toxicity))
        {
            throw CommandException.BadInput("toxicity must be between 0 and 1.");
        }

        var udpOnly = type is FaultType.Loss or FaultType.Duplicate;
        var streamOnly = type is FaultType.Slicer or FaultType.Timeout or FaultType.ResetPeer or FaultType.LimitData;
        if (udpOnly && protocol != ListenerProtocol.Udp)
        {
            throw CommandException.BadInput($"{request.Type} applies to udp relays: a stream relay never loses or repeats bytes.");
        }

        if (streamOnly && protocol == ListenerProtocol.Udp)
        {
            throw CommandException.BadInput($"{request.Type} applies to stream (tcp, unix) relays.");
        }

        var fault = new FaultInfo(id, type, direction, toxicity);
        return type switch
        {
            FaultType.Latency => fault with { Ms = Required(request.Ms, "ms", 0, MaxMs), JitterMs = Optional(request.JitterMs, "jitterMs", 0, MaxMs) },
            FaultType.Bandwidth => fault with { Kbps = Required(request.Kbps, "kbps", 1, MaxKbps) },
            FaultType.Slicer => Slicer(fault, request),
            FaultType.Timeout => fault with { Ms = Required(request.Ms, "ms", 0, MaxMs) },
            FaultType.ResetPeer => fault with { AfterMs = Optional(request.AfterMs, "afterMs", 0, MaxMs) },
            FaultType.LimitData => fault with { Bytes = request.Bytes is >= 1 ? request.Bytes : throw Missing("bytes", 1) },
            _ => fault with { Percent = request.Percent is >= 0 and <= 100 ? request.Percent : throw CommandException.BadInput("percent must be between 0 and 100.") },
        };
    }

    private static FaultInfo Slicer(FaultInfo fault, FaultRequest request)
    {
        var average = Required(request.AverageSize, "averageSize", 1, MaxSliceBytes);
        var variation = Optional(request.SizeVariation, "sizeVariation", 0, MaxSliceBytes);
        if (variation >= average)
        {
            throw CommandException.BadInput("sizeVariation must be smaller than averageSize.");
        }

        return fault with { AverageSize = average, SizeVariation = variation, DelayUs = Optional(request.DelayUs, "delayUs", 0, MaxDelayUs) };
    }

    private static int Required(int? value, string field, int min, int max) =>
        value is null ? throw Missing(field, min)
        : value < min || value > max ? throw CommandException.BadInput($"{field} must be between {min} and {max} (was {value}).")
        : value.Value;

    private static int Optional(int? value, string field, int min, int max) => value is null ? min : Required(value, field, min, max);

    private static CommandException Missing(string field, int min) => CommandException.BadInput($"{field} is required and must be at least {min}.");
}
