namespace Gateway.Hubs;

internal static partial class HubLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Warning,
        Message = "Hub client {ConnectionId}: sending events failed")]
    public static partial void FeedFailed(ILogger logger, string connectionId, Exception exception);
}
