namespace Gateway.Tests.Infrastructure;

// The public JSON contract as an outside client sees it: names and string enums exactly as the issue
// gives them. Deserialising into these (not the server's own types) is what makes the shape tested.

public sealed record WireListener(
    string Id, string Name, string Protocol, string? Address, int Port, string? Path, string State,
    int Sessions, long BytesIn, long BytesOut, string Framing, WireListenerTls? Tls, string? Upstream,
    string? Capture = null, string? CaptureOverflow = null, long Refused = 0, double? IdleTimeoutSeconds = null);

public sealed record WireListenerTls(bool SelfSigned, string Fingerprint);

public sealed record WireSession(
    long Id, string? ListenerId, string Kind, string Protocol, string Framing, WireSessionTls? Tls, string Remote, string Local, string? Upstream, string State,
    DateTimeOffset OpenedAt, DateTimeOffset? ClosedAt, string? CloseReason,
    long BytesIn, long BytesOut, long MessagesIn, long MessagesOut, string? Capture = null);

public sealed record WireMessage(
    long Seq, long SessionId, string? ListenerId, string Direction, DateTimeOffset At, int Size, byte[] Data, bool Truncated,
    string[]? Faults = null, string[]? Rules = null, string[]? Tags = null);

public sealed record WireRule(string Id, string? Name, bool Enabled, string Direction, long Hits, string? DisabledReason, bool Continue);

public sealed record WireSessionTls(WireClientTls? Client, WireUpstreamTls? Upstream);

public sealed record WireClientTls(string? Sni, string? Alpn, string Protocol, string Cipher);

public sealed record WireUpstreamTls(string Subject, string Issuer, string Sha256, string? Alpn, string Protocol, string? Errors);

public sealed record WireSendResult(int Bytes);

public sealed record WireSendToResult(int Bytes, long SessionId);

public sealed record WireBroadcastResult(int Sessions, int Bytes);

public sealed record WireStats(
    long SessionsOpen, long SessionsTotal, long BytesIn, long BytesOut, long Dropped, int HubClients, WireCaptureStats? Capture = null,
    long LastSeq = 0, long SessionsRefused = 0);

public sealed record WireCaptureStats(
    string Database, long MessagesSeen, long BytesSeen, long MessagesCaptured, long BytesCaptured, long MessagesDropped, long BytesDropped,
    long MessagesPending, long BytesPending, bool Behind, long StoredBytes, long PrunedBytes, long Batches);

public sealed record WireProblem(string? Title, int Status, string? Detail);

public sealed record WireHeld(long Id, long SessionId, string? ListenerId, string Direction, DateTimeOffset At, int Size, byte[] Data);

public sealed record WireIntercept(bool Enabled, string Direction, string? Match, string? MatchHex);

public sealed record WireFault(string Id, string Type, string Direction, double Toxicity, int? Ms, int? Kbps, double? Percent);
