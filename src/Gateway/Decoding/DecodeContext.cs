namespace Gateway.Decoding;

/// <summary>
/// What a decoder learned from a session's earlier messages and needs for its later ones: MQTT's protocol
/// level, from the CONNECT, decides whether packets carry MQTT 5 properties; <c>auto</c> keeps the decoder
/// it recognised. One per session; a fresh one knows nothing, and decoders then read the protocol's oldest
/// form.
/// </summary>
internal sealed class DecodeContext
{
    /// <summary>The CONNECT's protocol level (4 for 3.1.1, 5 for 5.0); null until one was seen.</summary>
    public int? MqttLevel { get; set; }

    /// <summary>The session's ports (its listener's, its upstream's, its peer's): <c>auto</c>'s first clue.</summary>
    public IReadOnlyList<int> Ports { get; init; } = [];

    /// <summary>The decoder <c>auto</c> recognised in an earlier message of the session.</summary>
    public IMessageDecoder? Recognised { get; set; }
}
