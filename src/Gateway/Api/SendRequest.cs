namespace Gateway.Api;

/// <summary>A payload to inject.</summary>
/// <param name="Data">The payload, written in <paramref name="Encoding"/>.</param>
/// <param name="Encoding"><c>utf8</c> (default), <c>hex</c> (spaces, ':' and a leading 0x allowed) or <c>base64</c>.</param>
/// <param name="Target"><c>client</c> (default: the session's peer) or <c>upstream</c> (a relay session's server).</param>
public sealed record SendRequest(string? Data, string? Encoding, string? Target = null);

/// <summary>The result of a send.</summary>
/// <param name="Bytes">Bytes queued for the peer.</param>
public sealed record SendResult(int Bytes);
