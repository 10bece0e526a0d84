namespace Gateway.Intercept;

/// <summary>A relay listener's interception as the API shows it.</summary>
/// <param name="Enabled">Whether matching messages are held.</param>
/// <param name="Direction"><c>in</c> (client→upstream), <c>out</c> (upstream→client) or <c>both</c>.</param>
/// <param name="Match">UTF-8 text a message must contain to be held.</param>
/// <param name="MatchHex">Bytes (hex) a message must contain to be held.</param>
public sealed record InterceptInfo(bool Enabled, string Direction, string? Match, string? MatchHex);

/// <summary>Turns interception on or off: <c>{enabled, direction, match}</c> (or <c>matchHex</c>); no pattern holds every message.</summary>
public sealed record InterceptRequest(bool Enabled, string? Direction, string? Match, string? MatchHex);
