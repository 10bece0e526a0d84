namespace Gateway.Api;

/// <summary>A payload to inject.</summary>
/// <param name="Data">The payload, written in <paramref name="Encoding"/>.</param>
/// <param name="Encoding"><c>utf8</c> (default), <c>hex</c> (spaces, ':' and a leading 0x allowed) or <c>base64</c>.</param>
public sealed record SendRequest(string? Data, string? Encoding);

/// <summary>The result of a send.</summary>
/// <param name="Bytes">Bytes queued for the peer.</param>
public sealed record SendResult(int Bytes);
