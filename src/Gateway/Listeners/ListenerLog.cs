namespace Gateway.Listeners;

internal static partial class ListenerLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information,
        Message = "Listener {Listener} listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, string listener, string endpoint);

    [LoggerMessage(EventId = 201, Level = LogLevel.Critical,
        Message = "Listener {Listener} cannot bind {Endpoint}: {Error}. Free the port, choose another with Gateway:Listeners:{Index}:Port, or set Gateway:Listeners:{Index}:Optional=true")]
    public static partial void BindFailed(ILogger logger, string listener, string endpoint, string error, int index);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning,
        Message = "Optional listener {Listener} cannot bind {Endpoint}: {Error}; continuing without it")]
    public static partial void OptionalBindFailed(ILogger logger, string listener, string endpoint, string error);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning,
        Message = "Listener {Listener}: accept failed ({Error})")]
    public static partial void AcceptFailed(ILogger logger, string listener, string error);

    [LoggerMessage(EventId = 204, Level = LogLevel.Debug,
        Message = "Listener {Listener}: receive failed ({Error})")]
    public static partial void ReceiveFailed(ILogger logger, string listener, string error);


    [LoggerMessage(EventId = 208, Level = LogLevel.Warning,
        Message = "Listener {Listener} refused {Count} new sessions: {Limit} reached")]
    public static partial void Refused(ILogger logger, string listener, long count, string limit);

    [LoggerMessage(EventId = 205, Level = LogLevel.Information,
        Message = "Listener {Listener} stopped; closing {Sessions} sessions")]
    public static partial void Stopping(ILogger logger, string listener, int sessions);

    [LoggerMessage(EventId = 220, Level = LogLevel.Warning,
        Message = "Listener {Listener}: the file that replaced its socket at {Path} could not be put back and is at {Aside} ({Error})")]
    public static partial void ForeignFileNotRestored(ILogger logger, string listener, string path, string aside, string error);

    [LoggerMessage(EventId = 221, Level = LogLevel.Error,
        Message = "Listener {Listener}: handling a datagram from {Remote} failed; the listener goes on")]
    public static partial void DatagramFailed(ILogger logger, string listener, string remote, Exception exception);

    [LoggerMessage(EventId = 222, Level = LogLevel.Warning, Message = "{Lowered}")]
    public static partial void LimitsLowered(ILogger logger, string lowered);

    [LoggerMessage(EventId = 223, Level = LogLevel.Warning,
        Message = "Listener {Listener}: rule {RuleId} disabled: {Reason}")]
    public static partial void RuleDisabled(ILogger logger, string listener, string ruleId, string reason);
}
