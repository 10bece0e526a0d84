using Gateway.Traffic;

namespace Gateway.Faults;

/// <summary>The Toxiproxy set of faults, applied by relays to the messages they forward.</summary>
public enum FaultType
{
    /// <summary>Delay each message by <c>ms</c> ± <c>jitterMs</c>.</summary>
    Latency,

    /// <summary>Forward at most <c>kbps</c> kilobits per second.</summary>
    Bandwidth,

    /// <summary>Cut each message into slices of <c>averageSize</c> ± <c>sizeVariation</c> bytes, <c>delayUs</c> apart.</summary>
    Slicer,

    /// <summary>Stop forwarding; close the session after <c>ms</c> (0: never, data just stops).</summary>
    Timeout,

    /// <summary>Reset both connections (RST) <c>afterMs</c> after the first message it sees.</summary>
    ResetPeer,

    /// <summary>Close the session once <c>bytes</c> have been forwarded in the fault's direction.</summary>
    LimitData,

    /// <summary>UDP: drop <c>percent</c> of datagrams.</summary>
    Loss,

    /// <summary>UDP: send <c>percent</c> of datagrams twice.</summary>
    Duplicate,
}

/// <summary>A fault on a relay listener, as the API shows it (a flat object: the type's fields are set, others null).</summary>
/// <param name="Id">Fault id, for DELETE.</param>
/// <param name="Type">latency, bandwidth, slicer, timeout, resetPeer, limitData, loss, duplicate.</param>
/// <param name="Direction"><c>in</c> (client→upstream), <c>out</c> (upstream→client) or <c>both</c>.</param>
/// <param name="Toxicity">Probability (0–1) that the fault applies to a given message.</param>
public sealed record FaultInfo(
    string Id,
    FaultType Type,
    string Direction,
    double Toxicity,
    int? Ms = null,
    int? JitterMs = null,
    int? Kbps = null,
    int? AverageSize = null,
    int? SizeVariation = null,
    int? DelayUs = null,
    int? AfterMs = null,
    long? Bytes = null,
    double? Percent = null)
{
    internal Direction? Only => Direction switch
    {
        "in" => Traffic.Direction.In,
        "out" => Traffic.Direction.Out,
        _ => null,
    };

    internal bool AppliesTo(Direction direction) => Only is null || Only == direction;

    internal string Name => Type switch
    {
        FaultType.ResetPeer => "resetPeer",
        FaultType.LimitData => "limitData",
        _ => Type.ToString().ToLowerInvariant(),
    };
}

/// <summary>A fault to add: <c>{type, direction, toxicity, ...the type's fields}</c>.</summary>
public sealed record FaultRequest(
    string? Type,
    string? Direction,
    double? Toxicity,
    int? Ms,
    int? JitterMs,
    int? Kbps,
    int? AverageSize,
    int? SizeVariation,
    int? DelayUs,
    int? AfterMs,
    long? Bytes,
    double? Percent);
