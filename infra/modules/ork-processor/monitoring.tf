# Alarms, their SNS topic and a dashboard: the same set, names, thresholds, periods and
# missing-data treatment as template.yaml (validate.sh compares the two). Runbook:
# infra/README.md, "Alarms and runbook". Every alarm notifies the topic on ALARM and on OK; no
# data (no invocation, empty queue) counts as fine (treat_missing_data = "notBreaching").

locals {
  alarm_topic_given  = var.alarm_topic_arn != null && var.alarm_topic_arn != ""
  alarm_topic_arn    = local.alarm_topic_given ? var.alarm_topic_arn : one(aws_sns_topic.alarms[*].arn)
  alarm_email_given  = var.alarm_email != null && var.alarm_email != ""
  function_name      = aws_lambda_function.this.function_name
  failure_queue_name = aws_sqs_queue.failures.name

  # The duration alarm fires when p95 is above 80 % of the timeout (ms).
  timeout_ms                = var.timeout * 1000
  duration_p95_threshold_ms = var.timeout * 1000 * 0.8

  # The invalid-upload share (%) of the designs seen, 0 below 10 designs (the volume guard).
  invalid_share_expression = "IF(written + invalid >= 10, 100 * invalid / (written + invalid), 0)"

  runbook = "see the README runbook (infra/README.md, Alarms and runbook): alarm -> look at the queue -> redrive"
}

resource "aws_sns_topic" "alarms" {
  count        = local.alarm_topic_given ? 0 : 1
  name         = "${var.name}-alarms"
  display_name = "ork-processor alarms"
  tags         = var.tags
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count     = local.alarm_email_given ? 1 : 0
  topic_arn = local.alarm_topic_arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.name}-errors"
  alarm_description   = "CRITICAL. ork-processor invocations failed (a record failed transiently or permanently; invalid uploads are not errors). Lambda retries twice, then the event goes to the failure queue. What to do: ${local.runbook}. The \"record failed\" log lines give the key and the cause."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = local.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "failure_queue" {
  alarm_name          = "${var.name}-failure-queue"
  alarm_description   = "CRITICAL. Events are waiting in the ork-processor failure queue: they failed after all retries and their designs are not up to date. What to do: ${local.runbook} once the cause is fixed. Messages expire after 14 days."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = local.failure_queue_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "throttles" {
  alarm_name          = "${var.name}-throttles"
  alarm_description   = "CRITICAL. ork-processor invocations were throttled (reserved concurrency or the account limit reached). Lambda keeps retrying throttled S3 events for up to 6 hours, then they go to the failure queue; expected while an ork reprocess --via-lambda runs. What to do: ${local.runbook}; raise the reserved concurrency if it lasts."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = local.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "duration" {
  alarm_name          = "${var.name}-duration-p95"
  alarm_description   = "CRITICAL. ork-processor p95 duration is above 80 % of the function timeout in 2 of the last 3 5-minute periods: invocations are about to time out (a slow Neo4j, Cloudinary or S3, or very large designs). What to do: ${local.runbook}; the stage times on the dashboard show which dependency is slow."
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = { FunctionName = local.function_name }
  extended_statistic  = "p95"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = local.duration_p95_threshold_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = var.tags
}

# WARNING (lower severity): a share of invalid uploads, from the function's EMF metrics. Only
# judged when at least 10 designs were seen in the hour; below that it reads 0.
resource "aws_cloudwatch_metric_alarm" "invalid_share" {
  alarm_name          = "${var.name}-invalid-share-warning"
  alarm_description   = "WARNING. Over 50 % of the uploads in the last hour were not valid .ork designs (at least 10 designs seen). Nothing is retried or lost: each is stored as status invalid with its reason. What to do: ${local.runbook} if anything is there; then read the reasons (Design nodes with status invalid, \"invalid\" log lines): a broken uploader or a new OpenRocket format."
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  threshold           = 50
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = var.tags

  metric_query {
    id          = "written"
    return_data = false

    metric {
      namespace   = "OrkProcessor"
      metric_name = "DesignsProcessed"
      dimensions  = { Function = local.function_name }
      period      = 3600
      stat        = "Sum"
    }
  }

  metric_query {
    id          = "invalid"
    return_data = false

    metric {
      namespace   = "OrkProcessor"
      metric_name = "DesignsInvalid"
      dimensions  = { Function = local.function_name }
      period      = 3600
      stat        = "Sum"
    }
  }

  metric_query {
    id          = "share"
    label       = "invalid uploads, % of designs seen (0 below 10 designs)"
    expression  = local.invalid_share_expression
    return_data = true
  }
}

# The EMF metrics (namespace OrkProcessor, dimension Function = the function's name, one line
# per invocation: stage times are per invocation, summed over its records) beside the
# function's and the failure queue's own metrics.
locals {
  no_units_axis = { left = { min = 0, showUnits = false } }

  dashboard = { start = "-PT24H", widgets = local.dashboard_widgets }
  dashboard_widgets = [
    {
      type = "text", x = 0, y = 0, width = 24, height = 2
      properties = {
        markdown = "## ork-processor: ${local.function_name}\nDesigns from the function's EMF metrics (namespace OrkProcessor, dimension Function), the function's own metrics, and the failure queue ${local.failure_queue_name}. On an alarm: the runbook in infra/README.md (alarm, look at the queue, redrive)."
      }
    },
    {
      type = "alarm", x = 0, y = 2, width = 24, height = 3
      properties = {
        title = "Alarms"
        alarms = [
          aws_cloudwatch_metric_alarm.errors.arn,
          aws_cloudwatch_metric_alarm.failure_queue.arn,
          aws_cloudwatch_metric_alarm.throttles.arn,
          aws_cloudwatch_metric_alarm.duration.arn,
          aws_cloudwatch_metric_alarm.invalid_share.arn,
        ]
      }
    },
    {
      type = "metric", x = 0, y = 5, width = 12, height = 6
      properties = {
        title = "Designs per 5 minutes", region = local.region, view = "timeSeries", stacked = false, period = 300, stat = "Sum"
        metrics = [
          ["OrkProcessor", "DesignsProcessed", "Function", local.function_name, { id = "written", label = "written" }],
          ["OrkProcessor", "DesignsInvalid", "Function", local.function_name, { id = "invalid", label = "invalid" }],
          [{ id = "failed", expression = "transient + permanent - invalid", label = "failed (transient + permanent, invalid not counted)" }],
          ["OrkProcessor", "DesignsUnchanged", "Function", local.function_name, { id = "unchanged", label = "unchanged" }],
          ["OrkProcessor", "DesignsDeleted", "Function", local.function_name, { id = "deleted", label = "deleted" }],
          ["OrkProcessor", "RecordsSkipped", "Function", local.function_name, { id = "skipped", label = "skipped (not .ork)" }],
          ["OrkProcessor", "FailuresTransient", "Function", local.function_name, { id = "transient", visible = false }],
          ["OrkProcessor", "FailuresPermanent", "Function", local.function_name, { id = "permanent", visible = false }],
        ]
        yAxis = local.no_units_axis
      }
    },
    {
      type = "metric", x = 12, y = 5, width = 6, height = 6
      properties = {
        title = "Failures as emitted", region = local.region, view = "timeSeries", stacked = false, period = 300, stat = "Sum"
        metrics = [
          ["OrkProcessor", "FailuresTransient", "Function", local.function_name, { label = "FailuresTransient" }],
          ["OrkProcessor", "FailuresPermanent", "Function", local.function_name, { label = "FailuresPermanent (counts invalid uploads too)" }],
        ]
        yAxis = local.no_units_axis
      }
    },
    {
      type = "metric", x = 18, y = 5, width = 6, height = 6
      properties = {
        title = "Invalid uploads, % per hour (warning)", region = local.region, view = "timeSeries", stacked = false, period = 3600, stat = "Sum"
        metrics = [
          ["OrkProcessor", "DesignsProcessed", "Function", local.function_name, { id = "written", visible = false }],
          ["OrkProcessor", "DesignsInvalid", "Function", local.function_name, { id = "invalid", visible = false }],
          [{ id = "share", expression = local.invalid_share_expression, label = "invalid % (0 below 10 designs)" }],
        ]
        annotations = { horizontal = [{ label = "warning", value = 50 }] }
        yAxis       = { left = { min = 0, max = 100, showUnits = false } }
      }
    },
    {
      type = "metric", x = 0, y = 11, width = 12, height = 6
      properties = {
        title = "Stage time per invocation, p50 (ms)", region = local.region, view = "timeSeries", stacked = false, period = 300, stat = "p50"
        metrics = [
          ["OrkProcessor", "ParseMs", "Function", local.function_name, { label = "parse" }],
          ["OrkProcessor", "RenderMs", "Function", local.function_name, { label = "render" }],
          ["OrkProcessor", "UploadMs", "Function", local.function_name, { label = "upload" }],
          ["OrkProcessor", "GraphMs", "Function", local.function_name, { label = "graph" }],
        ]
        yAxis = local.no_units_axis
      }
    },
    {
      type = "metric", x = 12, y = 11, width = 12, height = 6
      properties = {
        title = "Stage time per invocation, p95 (ms)", region = local.region, view = "timeSeries", stacked = false, period = 300, stat = "p95"
        metrics = [
          ["OrkProcessor", "ParseMs", "Function", local.function_name, { label = "parse" }],
          ["OrkProcessor", "RenderMs", "Function", local.function_name, { label = "render" }],
          ["OrkProcessor", "UploadMs", "Function", local.function_name, { label = "upload" }],
          ["OrkProcessor", "GraphMs", "Function", local.function_name, { label = "graph" }],
        ]
        yAxis = local.no_units_axis
      }
    },
    {
      type = "metric", x = 0, y = 17, width = 8, height = 6
      properties = {
        title = "Invocations, errors, throttles", region = local.region, view = "timeSeries", stacked = false, period = 300, stat = "Sum"
        metrics = [
          ["AWS/Lambda", "Invocations", "FunctionName", local.function_name, { label = "invocations" }],
          ["AWS/Lambda", "Errors", "FunctionName", local.function_name, { label = "errors" }],
          ["AWS/Lambda", "Throttles", "FunctionName", local.function_name, { label = "throttles" }],
        ]
        yAxis = local.no_units_axis
      }
    },
    {
      type = "metric", x = 8, y = 17, width = 8, height = 6
      properties = {
        title = "Duration (ms)", region = local.region, view = "timeSeries", stacked = false, period = 300
        metrics = [
          ["AWS/Lambda", "Duration", "FunctionName", local.function_name, { stat = "p50", label = "p50" }],
          ["AWS/Lambda", "Duration", "FunctionName", local.function_name, { stat = "p95", label = "p95" }],
          ["AWS/Lambda", "Duration", "FunctionName", local.function_name, { stat = "Maximum", label = "max" }],
        ]
        annotations = { horizontal = [
          { label = "p95 alarm (80 % of the timeout)", value = local.duration_p95_threshold_ms },
          { label = "timeout", value = local.timeout_ms },
        ] }
        yAxis = local.no_units_axis
      }
    },
    {
      type = "metric", x = 16, y = 17, width = 8, height = 6
      properties = {
        title = "Concurrent executions", region = local.region, view = "timeSeries", stacked = false, period = 60, stat = "Maximum"
        metrics = [
          ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", local.function_name, { label = "max concurrent" }],
        ]
        yAxis = local.no_units_axis
      }
    },
    {
      type = "metric", x = 0, y = 23, width = 12, height = 6
      properties = {
        title = "Failure queue: messages waiting", region = local.region, view = "timeSeries", stacked = false, period = 300, stat = "Maximum"
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.failure_queue_name, { label = "visible" }],
        ]
        yAxis = local.no_units_axis
      }
    },
    {
      type = "metric", x = 12, y = 23, width = 12, height = 6
      properties = {
        title = "Failure queue: age of the oldest message (s)", region = local.region, view = "timeSeries", stacked = false, period = 300, stat = "Maximum"
        metrics = [
          ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", local.failure_queue_name, { label = "oldest" }],
        ]
        yAxis = local.no_units_axis
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode(local.dashboard)
}
