namespace Gateway.Sessions;

/// <summary>The data plane's log lines, source-generated so the hot paths pay nothing when a level is off.</summary>
internal static partial class SessionLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "Session {SessionId} opened on {Listener} from {Remote}")]
    public static partial void Opened(ILogger logger, long sessionId, string listener, string remote);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information,
        Message = "Session {SessionId} on {Listener} from {Remote} closed: {Reason} ({BytesIn} bytes in, {BytesOut} bytes out)")]
    public static partial void Closed(ILogger logger, long sessionId, string listener, string remote, string reason, long bytesIn, long bytesOut);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning,
        Message = "Session {SessionId}: {Pending} injected bytes were not delivered before close ({Reason})")]
    public static partial void UndeliveredOnClose(ILogger logger, long sessionId, long pending, string reason);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning,
        Message = "Session {SessionId}: {Datagrams} datagrams ({Bytes} bytes) dropped since the last report: the relay is holding or delaying (Gateway:Intercept:MaxHeldBytesPerSession, MaxHeldBytes) or the upstream socket is not keeping up")]
    public static partial void RelayDropped(ILogger logger, long sessionId, long datagrams, long bytes);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error,
        Message = "Session {SessionId}: relaying {Direction} failed unexpectedly; the session is closed")]
    public static partial void PumpFailed(ILogger logger, long sessionId, Traffic.Direction direction, Exception exception);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug,
        Message = "Session {SessionId}: socket error {Error}")]
    public static partial void SocketError(ILogger logger, long sessionId, string error);
}
