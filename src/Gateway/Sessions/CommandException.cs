namespace Gateway.Sessions;

/// <summary>
/// A command the control plane refused. The edges translate it: REST into a problem+json response with
/// <see cref="StatusCode"/>, the hub into a hub error carrying <see cref="Exception.Message"/>.
/// </summary>
internal sealed class CommandException(int statusCode, string title, string detail) : Exception(detail)
{
    public int StatusCode { get; } = statusCode;

    public string Title { get; } = title;

    public static CommandException BadInput(string detail) => new(StatusCodes.Status400BadRequest, "Invalid input", detail);

    public static CommandException NotFound(string detail) => new(StatusCodes.Status404NotFound, "Not found", detail);

    public static CommandException Conflict(string detail) => new(StatusCodes.Status409Conflict, "Wrong state", detail);

    public static CommandException TooLarge(string detail) => new(StatusCodes.Status413PayloadTooLarge, "Too large", detail);

    /// <summary>The cluster node that owns what was asked for did not answer (gone, or too slow).</summary>
    public static CommandException Unavailable(string detail) => new(StatusCodes.Status503ServiceUnavailable, "Node unavailable", detail);
}
