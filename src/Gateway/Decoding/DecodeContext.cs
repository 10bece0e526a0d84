namespace Gateway.Decoding;

/// <summary>
/// What a decoder learned from a session's earlier messages and needs for its later ones: MQTT's protocol
/// level, from the CONNECT, decides whether packets carry MQTT 5 properties. One per session; a fresh one
/// knows nothing, and decoders then read the protocol's oldest form.
/// </summary>
internal sealed class DecodeContext
{
    /// <summary>The CONNECT's protocol level (4 for 3.1.1, 5 for 5.0); null until one was seen.</summary>
    public int? MqttLevel { get; set; }
}
