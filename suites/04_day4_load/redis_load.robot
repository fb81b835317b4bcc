*** Settings ***
Documentation       Day 4: Redis pub-sub under volume: seed 001's 1,000+ messages, ten times over,
...                 on all five channels at once, against the delivery and success-rate targets.
Resource            ../../resources/messaging.resource
Test Tags           day4    redis    checkpoint8


*** Variables ***
${LOAD_MESSAGES_PER_CHANNEL}    2000
${LOAD_RATE}                    2000/s


*** Test Cases ***
Ten Thousand Messages On Five Channels Meet The Delivery Targets
    ${ns}=    Get Test Namespace
    Start Listening    patterns=${{ ["${ns}.tickstock.*"] }}
    FOR    ${name}    IN    @{ALL_CHANNELS}
        Messages Are Published At A Steady Rate    ${ns}.${name}    ${LOAD_MESSAGES_PER_CHANNEL}    ${LOAD_RATE}
    END
    FOR    ${name}    IN    @{ALL_CHANNELS}
        Delivery Meets Seed Targets    ${ns}.${name}
    END
    Get Delivery Latency    p99    <    ${MESSAGE_DELIVERY_TARGET}
    Get Success Rate    >=    ${MESSAGE_SUCCESS_RATE_TARGET}

A Burst Of A Hundred Thousand Pipelined Messages Is Delivered Completely
    ${channel}=    A Private Channel Is Listened To    tickstock.etf.correlation_update
    Publish Messages    ${channel}    100000
    Get Received Count    ==    100000    channel=${channel}
    Get Out Of Order Count    ==    0    channel=${channel}
    Get Duplicate Count    ==    0    channel=${channel}
    Log Delivery Statistics    ${channel}
