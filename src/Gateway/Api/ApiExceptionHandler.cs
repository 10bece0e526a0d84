using Gateway.Sessions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api;

/// <summary>Turns refused commands and unreadable requests into problem+json with a detail that says what is wrong.</summary>
internal sealed class ApiExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = exception switch
        {
            CommandException ex => (ex.StatusCode, ex.Title, ex.Message),
            BadHttpRequestException ex => (ex.StatusCode, "Invalid request", Describe(ex)),
            Npgsql.NpgsqlException ex => (StatusCodes.Status503ServiceUnavailable, "Cluster database unavailable",
                $"The cluster's PostgreSQL (ConnectionStrings:Cluster) did not answer: {ex.Message} Relaying and capture go on; try again shortly."),
            _ => (0, "", ""),
        };
        if (status == 0)
        {
            return false;
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    private static string Describe(BadHttpRequestException exception) =>
        exception.InnerException is { } inner ? $"{exception.Message} {inner.Message}" : exception.Message;
}
