namespace Gateway.Api;

internal static class Actors
{
    /// <summary>Who issued a REST command, for log lines and close reasons.</summary>
    public static string Of(HttpContext context) => $"api ({context.Connection.RemoteIpAddress})";
}
