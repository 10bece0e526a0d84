namespace Gateway.Capture;

/// <summary>How a listener's (or the outbound sessions') traffic is captured; fixed per session when it opens.</summary>
internal sealed record CapturePolicy(CaptureMode Mode, CaptureOverflow Overflow)
{
    public static readonly CapturePolicy Default = new(CaptureMode.Full, CaptureOverflow.Drop);

    /// <summary>Whether its sessions wait for the capture writer before reading (nothing to wait for when capture is off).</summary>
    public bool Backpressured => Overflow == CaptureOverflow.Backpressure && Mode != CaptureMode.Off;

    public const string ModeNames = "full, metadata or off";

    public const string OverflowNames = "drop or backpressure";

    public static bool TryParseMode(string? value, out CaptureMode mode)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or "full":
                mode = CaptureMode.Full;
                return true;
            case "metadata":
                mode = CaptureMode.Metadata;
                return true;
            case "off":
                mode = CaptureMode.Off;
                return true;
            default:
                mode = default;
                return false;
        }
    }

    public static bool TryParseOverflow(string? value, out CaptureOverflow overflow)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or "drop":
                overflow = CaptureOverflow.Drop;
                return true;
            case "backpressure":
                overflow = CaptureOverflow.Backpressure;
                return true;
            default:
                overflow = default;
                return false;
        }
    }

    /// <summary>The policy of valid options (they are validated before a listener is made).</summary>
    public static CapturePolicy From(string? mode, string? overflow)
    {
        TryParseMode(mode, out var m);
        TryParseOverflow(overflow, out var o);
        return new CapturePolicy(m, o);
    }
}
