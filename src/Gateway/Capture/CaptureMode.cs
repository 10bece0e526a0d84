namespace Gateway.Capture;

/// <summary>What the capture store keeps of a listener's sessions.</summary>
public enum CaptureMode
{
    /// <summary>Sessions and every message with its payload (the default).</summary>
    Full,

    /// <summary>Sessions and every message's direction, time and size, without payloads.</summary>
    Metadata,

    /// <summary>Nothing: the sessions are live only.</summary>
    Off,
}

/// <summary>What a listener's sessions do when the capture writer is behind.</summary>
public enum CaptureOverflow
{
    /// <summary>Messages the writer has no room for are dropped and counted (the default); traffic never slows.</summary>
    Drop,

    /// <summary>The sessions stop reading until the writer catches up: nothing is lost, traffic slows instead.</summary>
    Backpressure,
}
